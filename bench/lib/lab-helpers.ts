/** Helpers for benches that drive a real lab: event log, Redis ping, login, a bare-process baseline. */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import type { LabProcess } from '../../playground/server/lab-process.ts';
import type { LabEvent } from '../../playground/protocol/lab-events.ts';
import { procInfo } from './proc.ts';
import { anyFreePort } from '../../playground/lab/ports.js';

const HOST = '127.0.0.1';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Keeps a lab's events (except the per-request ones, which are only counted) with their arrival time. */
export class EventLog {
  readonly events: Array<LabEvent & { at: number }> = [];
  requests = 0;
  readonly origin: number;
  constructor(lab: LabProcess, origin = performance.now()) {
    this.origin = origin;
    lab.on('event', (event) => {
      if (event.type === 'request') this.requests++;
      else this.events.push({ ...event, at: performance.now() - origin });
    });
  }
  find(predicate: (event: LabEvent) => boolean): (LabEvent & { at: number }) | undefined {
    return this.events.find(predicate);
  }
}

/** One RESP PING; resolves true on +PONG. */
export function pingRedis(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    let answer = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

/** One HTTP request to 127.0.0.1 without keep-alive; resolves with status, headers and body. */
export function request(
  port: number,
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path: urlPath, headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST /login through the balancer; returns the session cookie ("connect.sid=…"). */
export async function login(port: number, user: string): Promise<string> {
  const answer = await request(port, 'POST', '/login', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  if (answer.status !== 200) throw new Error(`login answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  const cookie = [answer.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0]).find((c) => c.startsWith('connect.sid='));
  if (!cookie) throw new Error('login set no connect.sid cookie');
  return cookie;
}

/**
 * Baseline: spawn one bare `node` HTTP server and time it until it answers HTTP; also report its idle RSS.
 * This is the floor under any lab figure: a lab starts several such processes, partly in parallel.
 */
export async function bareNodeBaseline(source: string): Promise<{ answerMs: number; rssKb: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-bare-'));
  const file = path.join(dir, 'server.mjs');
  await fs.writeFile(file, source);
  const port = await anyFreePort();
  const started = performance.now();
  const child = spawn(process.execPath, [file], { env: { ...process.env, PORT: String(port), INSTANCE_ID: 'bare' }, stdio: 'ignore' });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = await request(port, 'GET', '/', { timeoutMs: 500 }).then(() => true, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the bare node server did not answer within 10 s');
      await sleep(5);
    }
    const answerMs = performance.now() - started;
    await sleep(300);
    const rssKb = (child.pid && procInfo(child.pid)?.rssKb) || 0;
    return { answerMs, rssKb };
  } finally {
    child.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  }
}

