import fs from 'node:fs';
import http from 'node:http';
import { afterEach } from 'vitest';
import path from 'node:path';
import { LabProcess, type LabProcessOptions } from '../../playground/server/lab-process.ts';
import type { LabEvent, LabEventOf, LabEventType, ProcessState } from '../../playground/protocol/lab-events.ts';
import type { CommandOf } from '../../playground/protocol/lab-commands.ts';
import { slotsDir } from '../../playground/server/lab-slots.ts';
import type { LabFile } from '../../playground/protocol/lab-file.ts';

export const PACKAGE_JSON: LabFile = { path: 'package.json', content: '{ "type": "module" }\n' };

/** A tiny instance app used by engine tests: answers with its INSTANCE_ID. Extra code runs first. */
export function app(extra = ''): LabFile[] {
  return [
    PACKAGE_JSON,
    {
      path: 'server.js',
      content: `import http from 'node:http';
const id = process.env.INSTANCE_ID;
${extra}
http.createServer((req, res) => {
  if (req.url === '/slow') { setTimeout(() => res.end('slow ' + id), 300); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ instance: id, url: req.url }));
}).listen(Number(process.env.PORT));
`,
    },
  ];
}

/** A type guard for events of one `type` that also pass `where` (given the narrowed event), for `find`, `filter`, `waitFor` and `until`. */
export function eventOf<T extends LabEventType>(type: T, where?: (event: LabEventOf<T>) => boolean): (event: LabEvent) => event is LabEventOf<T> {
  // The one cast: `event.type === type` is what makes it a LabEventOf<T>, which TypeScript cannot follow through a generic.
  return (event): event is LabEventOf<T> => event.type === type && (!where || where(event as LabEventOf<T>));
}

/** The process event of one role: an instance, Redis or the balancer. */
export type ProcessOf<R extends LabEventOf<'process'>['role']> = Extract<LabEventOf<'process'>, { role: R }>;

/** A process event that must be an instance's (the fields only instances report: `lastLines`, `exitCode`, …). */
export function asInstance(event: LabEventOf<'process'>): ProcessOf<'instance'> {
  if (event.role !== 'instance') throw new Error(`expected an instance's process event, got the ${event.role}'s`);
  return event;
}

export interface TestLab {
  lab: LabProcess;
  events: LabEvent[];
  /** Latest known state of each process by name. */
  state(name: string): ProcessState | undefined;
  waitForState(name: string, state: ProcessState, timeoutMs?: number): Promise<LabEventOf<'process'>>;
  /** The first event, past or future, that matches. */
  until<E extends LabEvent>(predicate: (event: LabEvent) => event is E, timeoutMs?: number): Promise<E>;
  until(predicate: (event: LabEvent) => boolean, timeoutMs?: number): Promise<LabEvent>;
}

const open: LabProcess[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((lab) => lab.destroy()));
});

export async function startLab(files: LabFile[], options: Partial<LabProcessOptions> & { start?: Omit<CommandOf<'start'>, 'type'> | null } = {}): Promise<TestLab> {
  const lab = await LabProcess.create({ files, ...options });
  open.push(lab);
  const events: LabEvent[] = [];
  const states = new Map<string, ProcessState>();
  lab.on('event', (event) => {
    events.push(event);
    if (event.type === 'process') states.set(event.name, event.state);
  });
  if (options.start !== null) await lab.send({ type: 'start', instances: 3, ...options.start });
  function until<E extends LabEvent>(predicate: (event: LabEvent) => event is E, timeoutMs?: number): Promise<E>;
  function until(predicate: (event: LabEvent) => boolean, timeoutMs?: number): Promise<LabEvent>;
  function until(predicate: (event: LabEvent) => boolean, timeoutMs = 10_000): Promise<LabEvent> {
    const past = events.find(predicate);
    return past ? Promise.resolve(past) : lab.waitFor(predicate, timeoutMs);
  }
  return {
    lab,
    events,
    until,
    state: (name) => states.get(name),
    waitForState: (name, state, timeoutMs = 10_000) => {
      const already = [...events].reverse().find(eventOf('process', (e) => e.name === name));
      if (already?.state === state) return Promise.resolve(already);
      return lab.waitFor(eventOf('process', (e) => e.name === name && e.state === state), timeoutMs);
    },
  };
}

export interface Answer {
  status: number;
  body: string;
  servedBy: string | undefined;
  headers: http.IncomingHttpHeaders;
}

export function get(port: number, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, servedBy: res.headers['x-served-by'] as string | undefined, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every live process whose environment carries this lab's id (instances, Redis, helpers). */
/** Slot locks held by the host process `pid` (slots are machine-wide when labs run as their own users). */
export function slotLocksOf(labRoot: string, pid: number): string[] {
  const dir = slotsDir(labRoot, process.getuid?.() === 0);
  const locks = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  return locks.filter((lock) => {
    try {
      return (JSON.parse(fs.readFileSync(path.join(dir, lock), 'utf8')) as { pid: number }).pid === pid;
    } catch {
      return false;
    }
  });
}

export function processesOfLab(labId: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')') + 1, stat.lastIndexOf(')') + 4));
      if (!zombie && environ.split('\0').includes(`LAB_ID=${labId}`)) found.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return found;
}

export async function eventually<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
