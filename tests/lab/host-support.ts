import http from 'node:http';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { attachLabHost, type LabHostOptions } from '../../playground/server/lab-host.ts';
import { eventually } from './helpers.ts';

export type Message = { op: string; [key: string]: unknown };

/**
 * Instance code (for `app()`, before any code that changes the working directory) that defines `appDir`, the
 * lab's app folder (the one the page writes to), and `labDir`, the lab folder holding it. Each instance process
 * runs in its own copy of the app, app/.instances/<name>-<generation>-<n>/, so learner code that means the app
 * folder or the lab folder cannot reach them through its working directory; where an instance runs in app/
 * itself, that is the app folder.
 */
export const LAB_FOLDERS = `import labPath from 'node:path';
const instanceDisk = process.cwd();
const appDir = labPath.basename(labPath.dirname(instanceDisk)) === '.instances' ? labPath.dirname(labPath.dirname(instanceDisk)) : instanceDisk;
const labDir = labPath.dirname(appDir);
`;

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** A lab host on a real HTTP server on a free loopback port, closed after the test. */
export async function startHost(options: LabHostOptions = {}) {
  const server = http.createServer((_req, res) => res.end('site'));
  const host = attachLabHost(server, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  stops.push(async () => {
    await host.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port, host, server, origin: `http://127.0.0.1:${port}` };
}

/** A browser tab's socket to /lab: every message is kept; `next` waits for one matching. */
export function connect(port: number, origin?: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/lab`, { headers: { ...(origin ? { origin } : {}), ...headers } });
  const messages: Message[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const next = (predicate: (m: Message) => boolean, timeoutMs = 15_000) => eventually(() => messages.find(predicate), 'a matching host message', timeoutMs);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const events = (type: string) => messages.filter((m) => m.op === 'event' && (m.event as Message).type === type).map((m) => m.event as Message);
  return { ws, messages, next, opened, closed, events, send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}

export type Tab = ReturnType<typeof connect>;

/** Open a lab for `lesson` with these files and start its cluster; resolves with the lab id. */
export async function openAndStart(tab: Tab, lesson: string, files: { path: string; content: string }[], { start = true } = {}): Promise<string> {
  await tab.opened;
  tab.send({ op: 'open', lesson, files });
  const opened = await tab.next((m) => m.op === 'opened' || m.op === 'error' || m.op === 'closed');
  if (opened?.op !== 'opened') throw new Error(String(opened?.message ?? opened?.reason));
  if (start) {
    tab.send({ op: 'command', id: 1, command: { type: 'start' } });
    await tab.next((m) => m.op === 'reply' && m.id === 1, 30_000);
  }
  return String(opened?.labId);
}

/** The log lines the lab's processes printed, joined. */
export function logText(tab: Tab): string {
  return tab.events('log').map((e) => String(e.text ?? e.line ?? '')).join('\n');
}
