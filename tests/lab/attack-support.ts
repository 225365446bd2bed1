/**
 * Helpers for the attack tests (host-attacks.test.ts): hosts and folders that are always cleaned up, raw HTTP
 * requests that report a hang or a reset instead of throwing, and instance code that waits for the page's signal.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { mountPoints } from '../../playground/server/lab-disk.ts';
import { runHost, type HostProcess } from './host-process.ts';
import { LAB_FOLDERS } from './host-support.ts';

const hosts: HostProcess[] = [];
const dirs: string[] = [];

/** Stop a host the way an operator does (SIGTERM: it removes its labs), and kill it if it does not go in time. */
async function stopHost(host: HostProcess): Promise<void> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return;
  host.child.kill('SIGTERM');
  const stopped = await Promise.race([host.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000))]);
  if (!stopped) {
    host.child.kill('SIGKILL');
    await host.exited;
  }
}

/** Mount points inside `dir`, deepest first (a host that crashed or was killed may leave a lab's disk mounted). */
function mountsUnder(dir: string): string[] {
  return mountPoints()
    .filter((point) => point.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/**
 * Remove a test folder. What a dead host could not clean up is cleared first, inside this folder only: mounts left
 * in it, and the empty cgroups its labs' resource records name.
 */
function removeTestDir(dir: string): void {
  for (const point of mountsUnder(dir)) {
    if (spawnSync('umount', [point]).status !== 0) spawnSync('umount', ['-l', point]);
  }
  const records = path.join(dir, 'resources');
  for (const record of fs.existsSync(records) ? fs.readdirSync(records) : []) {
    try {
      const { cgroups } = JSON.parse(fs.readFileSync(path.join(records, record), 'utf8')) as { cgroups?: unknown };
      for (const group of Array.isArray(cgroups) ? cgroups : []) {
        if (typeof group !== 'string' || !group.startsWith('/sys/fs/cgroup/') || !path.basename(group).startsWith('stateless-lab-')) continue;
        try {
          fs.rmdirSync(group);
        } catch {
          // busy or already gone
        }
      }
    } catch {
      // not a record this helper understands
    }
  }
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

afterEach(async () => {
  // Hosts first (their labs go with them), then the folders they used. Every folder is tried; failures are reported.
  await Promise.all(hosts.splice(0).map(stopHost));
  const failures: string[] = [];
  for (const dir of dirs.splice(0).reverse()) {
    try {
      removeTestDir(dir);
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (failures.length > 0) throw new Error(`test folders could not be removed: ${failures.join('; ')}`);
});

/** A fresh folder under the system's temporary folder, removed after the test. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A LAB_ROOT of the test's own. */
export function labRoot(): string {
  return tempDir('lab-root-');
}

/** `npm start` as a real process (see host-process.ts), killed after the test. */
export async function startHost(env: Record<string, string> = {}): Promise<HostProcess> {
  const host = await runHost(env);
  hosts.push(host);
  return host;
}

export const portOf = (url: string) => Number(new URL(url).port);

export type RawAnswer = { status: number; body: string } | { failure: string };

export interface RawRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Ask for a WebSocket upgrade; a 101 answer counts as status 101. */
  upgrade?: boolean;
  body?: string;
  timeoutMs?: number;
}

/** One HTTP request on its own connection; a reset or a hang is reported as `failure`, never thrown. */
export function rawRequest(url: string, request: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.upgrade) {
    Object.assign(headers, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') });
  }
  const timeoutMs = request.timeoutMs ?? 15_000;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const req = http.request({ host: '127.0.0.1', port: portOf(url), path: request.path, method: request.method ?? 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => settle({ status: res.statusCode ?? 0, body }));
      res.on('error', (error: NodeJS.ErrnoException) => settle({ failure: `the answer broke off (${error.code ?? error.message})` }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      settle({ status: res.statusCode ?? 101, body: '' });
    });
    req.on('error', (error: NodeJS.ErrnoException) => settle({ failure: `no HTTP answer: ${error.code ?? error.message}` }));
    const timer = setTimeout(() => {
      settle({ failure: `no HTTP answer within ${timeoutMs / 1000} s` });
      req.destroy();
    }, timeoutMs);
    req.end(request.body);
  });
}

export const statusOf = (answer: RawAnswer): number | string => ('status' in answer ? answer.status : answer.failure);

/** The host process is still running and GET /health answers 200. */
export async function hostUp(host: HostProcess): Promise<boolean> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return false;
  const health = await rawRequest(host.url, { path: '/health', timeoutMs: 10_000 });
  return 'status' in health && health.status === 200 && host.child.exitCode === null && host.child.signalCode === null;
}

/** How the host process ended, for failure messages; undefined while it runs. */
export function exitOf(host: HostProcess): string | undefined {
  if (host.child.exitCode !== null) return `exited with code ${host.child.exitCode}`;
  if (host.child.signalCode !== null) return `was killed by ${host.child.signalCode}`;
  return undefined;
}

/** What the host printed about its crash: the error line of an uncaught exception, else its last lines. */
export function crashText(host: HostProcess): string {
  const lines = host
    .output()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('{'));
  const error = [...lines].reverse().find((line) => /^\[?\w*Error\b/.test(line));
  return (error ?? lines.slice(-3).join(' | ')).slice(0, 300);
}

/** Wait until `probe` holds or `timeoutMs` passes; tells which (for waits whose end is asserted on separately). */
export async function settled(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Lab folders (lab-XXXX) under a LAB_ROOT. */
export function labFolders(root: string): string[] {
  try {
    return fs.readdirSync(root).filter((entry) => entry.startsWith('lab-'));
  } catch {
    return [];
  }
}

/**
 * Instance code for `app()`: in instance A only, runs `body` once the page has written a file named `trigger`
 * into the app folder (so an attack starts after the cluster is up, not while it starts). `body` may use `fs`,
 * `labPath` (node:path), and `appDir` and `labDir` (the lab's app folder and the lab folder, see LAB_FOLDERS):
 * the instance's working directory is its own copy of the app, which the page's files never reach.
 */
export function whenTriggered(trigger: string, body: string): string {
  return `import fs from 'node:fs';
${LAB_FOLDERS}
if (id === 'A') {
  const poll = setInterval(() => {
    if (!fs.existsSync(labPath.join(appDir, ${JSON.stringify(trigger)}))) return;
    clearInterval(poll);
    ${body}
  }, 100);
}`;
}

/** The state letter of /proc/<pid>/stat (R, S, T for stopped, Z…), or undefined when it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
