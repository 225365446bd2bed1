/**
 * The names this host answers to. A browser sends the name it typed in `Host`; a page on another domain that
 * resolves to this machine (DNS rebinding) sends that domain, and its Origin then matches its Host. Refusing every
 * name the host does not serve closes that door for pages, WebSockets, the relay and the ops endpoints alike.
 */
import type http from 'node:http';
import os from 'node:os';

export const PUBLIC_NAME_VARIABLE = 'LAB_PUBLIC_NAME';

export interface HostNames {
  allows(hostHeader: string | undefined): boolean;
  /** For the refusal: the names that are served. */
  readonly names: readonly string[];
}

/** `Host: name:port` → `name`, lower-cased, IPv6 without brackets. */
export function hostName(hostHeader: string): string {
  const header = hostHeader.trim().toLowerCase();
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']') > 0 ? header.indexOf(']') : undefined);
  return header.replace(/:\d*$/, '').replace(/\.$/, '');
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** This machine's own addresses: an address typed as such cannot be rebound, and `HOST=0.0.0.0` serves them all. */
function machineAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .flatMap((info) => (info ? [info.address.toLowerCase()] : []));
}

/** Loopback names, the listening address, this machine's addresses and the configured public names. */
export function hostNames(listenHost: string, publicNames: readonly string[] = []): HostNames {
  const names = new Set([...LOOPBACK_NAMES, hostName(listenHost), ...machineAddresses(), ...publicNames.map(hostName)]);
  names.delete('0.0.0.0');
  names.delete('::');
  return {
    names: [...names],
    allows(hostHeader) {
      if (!hostHeader) return false;
      const name = hostName(hostHeader);
      return names.has(name) || /^127(\.\d{1,3}){3}$/.test(name) || name.endsWith('.localhost');
    },
  };
}

/** Names served when nothing is configured (in-process hosts, tests): loopback only. */
export const LOOPBACK_ONLY: HostNames = hostNames('127.0.0.1');

export function misdirectedMessage(names: HostNames, host: string | undefined): string {
  return `This lab host does not serve the name "${host ?? ''}". If learners reach it under that name, add it to ${PUBLIC_NAME_VARIABLE} (comma-separated).`;
}

/** Answer a request for a name this host does not serve with 421; returns true when it did. */
export function refuseMisdirected(req: http.IncomingMessage, res: http.ServerResponse, names: HostNames): boolean {
  if (names.allows(req.headers.host)) return false;
  res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${misdirectedMessage(names, req.headers.host)}\n`);
  return true;
}
