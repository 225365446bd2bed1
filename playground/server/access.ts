/**
 * Who may open labs. Every lab WebSocket must come from a page this host served (its Origin), and when the host
 * serves a class over the network, from a browser that opened the class's join link (/?join=<token>), which
 * leaves an HttpOnly cookie.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { LOOPBACK_ONLY, misdirectedMessage, type HostNames } from './host-names.ts';

export const JOIN_COOKIE = 'lab_join';
const JOIN_DAYS = 30;

/** Same-origin check: the page that opens the socket must come from this host (or an allowed origin). */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[] = []): boolean {
  if (!origin || !host) return false;
  if (allowed.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  } catch {
    return false;
  }
}

/** Compare a secret in constant time, so response times say nothing about how much of it was right. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      // malformed escapes (`%`): not a value this host set; look on
    }
  }
  return undefined;
}

/** The token of an `Authorization: Bearer <token>` header, or '' when there is none. */
export function bearerToken(req: http.IncomingMessage): string {
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

export function hasJoined(req: http.IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const given = cookieValue(req.headers.cookie, JOIN_COOKIE);
  return given !== undefined && sameSecret(given, token);
}

/**
 * Answers `?join=<token>` on any page: a right token sets the cookie and redirects to the same page without it;
 * a wrong one gets a page saying so. Returns true when it answered.
 */
export function answerJoinLink(req: http.IncomingMessage, res: http.ServerResponse, token: string | undefined): boolean {
  const url = new URL(req.url ?? '/', 'http://host');
  const given = url.searchParams.get('join');
  if (given === null || req.method !== 'GET') return false;
  if (!token || !sameSecret(given, token)) {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('This join link is not valid for this lab host. Ask your teacher for the current link.\n');
    return true;
  }
  url.searchParams.delete('join');
  const secure = req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true;
  res.writeHead(303, {
    location: url.pathname + url.search,
    'set-cookie': `${JOIN_COOKIE}=${encodeURIComponent(token)}; Path=/; Max-Age=${JOIN_DAYS * 86400}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
    'cache-control': 'no-store',
  });
  res.end();
  return true;
}

export type UpgradeVerdict = { ok: true } | { ok: false; status: 401 | 403 | 421; reason: string; message: string };

/** Decide whether a WebSocket upgrade to a lab endpoint may proceed. */
export function checkUpgrade(req: http.IncomingMessage, options: { allowedOrigins?: string[]; joinToken?: string; hostNames?: HostNames }): UpgradeVerdict {
  const names = options.hostNames ?? LOOPBACK_ONLY;
  if (!names.allows(req.headers.host)) return { ok: false, status: 421, reason: 'host', message: misdirectedMessage(names, req.headers.host) };
  if (!originAllowed(req.headers.origin, req.headers.host, options.allowedOrigins)) {
    return { ok: false, status: 403, reason: 'origin', message: 'This lab host only accepts pages it served itself.' };
  }
  if (!hasJoined(req, options.joinToken)) {
    return { ok: false, status: 401, reason: 'join-token', message: "This lab host needs your class's join link; ask your teacher for it." };
  }
  return { ok: true };
}

/** Refuse an upgrade on the raw socket with a short plain-text HTTP answer. */
export function refuseUpgrade(socket: { end(data: string): void }, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${message}\n`);
}
