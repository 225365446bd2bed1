/**
 * Lab host load bench (issue 8): how many concurrent labs one lab host holds on this machine with every lab's
 * three instances up and steady traffic on, what each lab costs in memory, and how late its events reach the
 * page.
 *
 * It starts a real lab host (`npm start` on a free port, via spawnStart) and opens labs one by one over the
 * `/lab` WebSocket exactly as a browser tab does (Origin = the host's own origin, `open` with the lesson's
 * solution files, `start`, then `traffic on`). It ramps up (1, then --step, 2×--step … up to --max labs), lets
 * each step settle, and measures a window of --window seconds:
 *
 * - labs held: socket open, instances A, B, C up at the end of the window, no `error` event, no closed/limit
 *   message, no failed traffic request and every status probe answered during the window;
 * - memory per lab: VmRSS and PSS summed over every process whose environment holds LAB_ID=<labId>, and the
 *   machine's used memory (MemTotal − MemAvailable) above what it was before the host started, per lab;
 * - event latency: receipt time at this WebSocket client − the event's `t`, for `request` and `user` events
 *   (both `t` and the receipt time are Date.now() on this machine's clock). A `request` event's `t` is when the
 *   balancer finished forwarding the answer; the supervisor batches request events for up to 20 ms (any other
 *   event flushes the batch first), so that delay is part of the figure. A `user` event's `t` is when the
 *   supervisor's virtual user had read the whole answer; it is written at once;
 * - command round trip: a `status` command every second per lab, from send to the host's `reply`;
 * - requests/s served (request events received per second, all labs) against the traffic rate asked for;
 * - CPU by process role over the window (supervisors, instances, Redis, the host, this bench, and everything
 *   else on the machine), from /proc, to say where the time goes.
 *
 * Ramping stops at --max, when event latency p95 exceeds --ceiling, when a lab is not held, when a lab cannot
 * be opened, or when the next step would take the machine above --mem-fraction of its memory.
 *
 * Usage: node bench/lab-host-load.ts [--max N] [--step N] [--window s] [--lesson slug] [--rps N] [--ceiling ms]
 *        [--settle s] [--mem-fraction f]
 * Needs dist/ built (`npx astro build`). Prints two tables and writes bench/results/lab-host-load-<time>.json.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { loadLesson } from '../playground/course/lessons.ts';
import type { LabFile } from '../playground/protocol/lab-file.ts';
import { spawnStart, type StartedServer } from '../scripts/lib/spawn-start.ts';
import { childrenOf, procInfo } from './lib/proc.ts';
import { percentile, round } from './lib/stats.ts';

// ---------------------------------------------------------------- options

function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  const at = args.indexOf(`--${name}`);
  if (at >= 0 && args[at + 1] !== undefined) return args[at + 1]!;
  return fallback;
}

function numberOption(name: string, fallback: number, min: number, max: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
  return value;
}

const MAX = Math.round(numberOption('max', 40, 1, 200));
const STEP = Math.round(numberOption('step', 5, 1, 100));
const WINDOW_S = numberOption('window', 20, 2, 600);
const SETTLE_S = numberOption('settle', 5, 0, 120);
const LESSON = option('lesson', 'sessions-in-redis');
const RPS = numberOption('rps', 5, 1, 200);
const CEILING_MS = numberOption('ceiling', 500, 10, 60_000);
const MEM_FRACTION = numberOption('mem-fraction', 0.8, 0.1, 0.95);
/** the issue's aim */
const AIM = { labs: 25, p95Ms: 200 };
const PROBE_EVERY_MS = 1000;
const OPEN_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 60_000;
const INSTANCES = ['A', 'B', 'C'];

const root = path.join(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- one lab, driven like a browser tab

type Message = { op: string; [key: string]: unknown };
type LabEvent = { type: string; t: number; [key: string]: unknown };

interface WindowFigures {
  requestLatency: number[];
  userLatency: number[];
  rtt: number[];
  requests: number;
  users: number;
  failedUsers: number;
  errors: string[];
  probesLost: number;
}

const emptyWindow = (): WindowFigures => ({ requestLatency: [], userLatency: [], rtt: [], requests: 0, users: 0, failedUsers: 0, errors: [], probesLost: 0 });

class TabLab {
  readonly index: number;
  labId = '';
  readonly ws: WebSocket;
  readonly states = new Map<string, string>();
  /** the last reason an instance gave for its state (why it crashed or is unhealthy) */
  readonly reasons = new Map<string, string>();
  /** why this lab stopped being healthy, for the whole run */
  readonly problems: string[] = [];
  window = emptyWindow();
  openMs = Number.NaN;
  startMs = Number.NaN;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Message) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  closed = false;

  constructor(index: number, url: string, origin: string) {
    this.index = index;
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/lab`, { headers: { origin } });
    this.ws.on('message', (data) => this.receive(String(data)));
    this.ws.on('close', (code, reason) => {
      this.closed = true;
      this.stopProbing();
      this.problem(`socket closed (${code}${reason.length ? ` ${String(reason)}` : ''})`);
      for (const [, p] of this.pending) p.reject(new Error('socket closed'));
      this.pending.clear();
    });
    this.ws.on('error', (error) => this.problem(`socket error: ${error.message}`));
  }

  private problem(what: string): void {
    this.problems.push(what);
    this.window.errors.push(what);
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`the host refused the socket with HTTP ${res.statusCode}`)));
    });
  }

  private receive(raw: string): void {
    // Receipt time first, before any parsing, on the same clock the lab stamps `t` with.
    const now = Date.now();
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      this.problem('unparseable host message');
      return;
    }
    if (message.op === 'event') this.onEvent(message.event as LabEvent, now);
    else if (message.op === 'reply') {
      const pending = this.pending.get(Number(message.id));
      if (pending) {
        this.pending.delete(Number(message.id));
        clearTimeout(pending.timer);
        pending.resolve(message);
      }
    } else if (message.op === 'error') this.problem(`host error: ${String(message.message)}`);
    else if (message.op === 'limit') this.problem(`limit ${String(message.limit)}: ${String(message.message)}`);
    else if (message.op === 'closed') this.problem(`closed by the host (${String(message.code)}): ${String(message.reason)}`);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(message)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    }
  }

  private onEvent(event: LabEvent, now: number): void {
    switch (event.type) {
      case 'request':
        this.window.requests++;
        this.window.requestLatency.push(now - event.t);
        break;
      case 'user': {
        this.window.users++;
        this.window.userLatency.push(now - event.t);
        const status = Number(event.status);
        if (!(status >= 200 && status < 300) || event.loggedOut === true) this.window.failedUsers++;
        break;
      }
      case 'process':
        if (event.role === 'instance') {
          this.states.set(String(event.name), String(event.state));
          if (event.reason) this.reasons.set(String(event.name), String(event.reason).slice(0, 200));
        }
        break;
      case 'error':
        this.problem(`lab error: ${String(event.message).slice(0, 200)}`);
        break;
      case 'exit':
        this.problem(`supervisor exit ${String(event.code)}`);
        break;
    }
  }

  private next(match: (m: Message) => boolean, timeoutMs: number, what: string): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`lab ${this.index}: no ${what} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (m: Message) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Send a command; resolves with the host's reply. */
  command(command: { type: string; [key: string]: unknown }, timeoutMs = 15_000): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`lab ${this.index}: no reply to ${command.type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ op: 'command', id, command }));
    });
  }

  /** open → opened, start → reply with 3 instances up, traffic on. */
  async bringUp(lesson: string, files: LabFile[]): Promise<void> {
    await this.connected();
    let t0 = performance.now();
    const opened = this.next((m) => m.op === 'opened' || m.op === 'error', OPEN_TIMEOUT_MS, 'opened message');
    this.ws.send(JSON.stringify({ op: 'open', lesson, files }));
    const answer = await opened;
    if (answer.op !== 'opened') throw new Error(`lab ${this.index}: the host answered open with: ${String(answer.message)}`);
    this.labId = String(answer.labId);
    this.openMs = performance.now() - t0;
    t0 = performance.now();
    const started = await this.command({ type: 'start' }, START_TIMEOUT_MS);
    this.startMs = performance.now() - t0;
    if (!started.ok) throw new Error(`lab ${this.index}: start failed: ${String(started.error)}`);
    const down = INSTANCES.filter((name) => this.states.get(name) !== 'up');
    if (down.length) throw new Error(`lab ${this.index}: after start, instance(s) not up: ${this.describe(down)}`);
    const traffic = await this.command({ type: 'traffic', on: true, rps: RPS });
    if (!traffic.ok) throw new Error(`lab ${this.index}: traffic on failed: ${String(traffic.error)}`);
    this.startProbing();
  }

  /** One status command at a time, every PROBE_EVERY_MS, starting at a random offset so labs do not align. */
  private startProbing(): void {
    const tick = async () => {
      if (this.closed || this.probing) return;
      this.probing = true;
      const t0 = performance.now();
      try {
        const reply = await this.command({ type: 'status' }, 10_000);
        if (reply.ok) this.window.rtt.push(performance.now() - t0);
        else this.window.probesLost++;
      } catch {
        this.window.probesLost++;
      } finally {
        this.probing = false;
      }
    };
    this.probeTimer = setTimeout(() => {
      void tick();
      this.probeTimer = setInterval(() => void tick(), PROBE_EVERY_MS);
    }, Math.random() * PROBE_EVERY_MS);
  }

  stopProbing(): void {
    clearTimeout(this.probeTimer);
    clearInterval(this.probeTimer);
  }

  /** Held = healthy over the whole last window. */
  heldProblems(): string[] {
    const out = [...this.window.errors];
    if (this.closed) out.push('socket closed');
    const down = INSTANCES.filter((name) => this.states.get(name) !== 'up');
    if (down.length) out.push(`instance(s) not up: ${this.describe(down)}`);
    if (this.window.failedUsers) out.push(`${this.window.failedUsers} failed traffic requests`);
    if (this.window.probesLost) out.push(`${this.window.probesLost} status probes unanswered`);
    if (this.window.users === 0) out.push('no traffic seen');
    return [...new Set(out)];
  }

  private describe(names: string[]): string {
    return names.map((n) => `${n} ${this.states.get(n) ?? 'never reported'}${this.reasons.has(n) ? ` (${this.reasons.get(n)})` : ''}`).join('; ');
  }

  close(): void {
    this.stopProbing();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

// ---------------------------------------------------------------- /proc: lab processes, memory, CPU

const TICK_MS = 10; // USER_HZ = 100

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

/** Every live (non-zombie) process carrying LAB_ID in its environment, by lab id. */
function processesByLab(): Map<string, number[]> {
  const byLab = new Map<string, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = readText(`/proc/${entry}/environ`);
    if (!environ) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
    const labVar = environ.split('\0').find((v) => v.startsWith('LAB_ID='));
    if (!labVar) continue;
    const id = labVar.slice(7);
    const list = byLab.get(id) ?? [];
    list.push(Number(entry));
    byLab.set(id, list);
  }
  return byLab;
}

function pssKb(pid: number): number {
  const rollup = readText(`/proc/${pid}/smaps_rollup`);
  return Number(/^Pss:\s+(\d+)\s+kB/m.exec(rollup ?? '')?.[1] ?? 0);
}

type Role = 'supervisor' | 'instances' | 'redis' | 'other-lab';
const ROLES: Role[] = ['supervisor', 'instances', 'redis', 'other-lab'];

function roleOf(command: string): Role {
  if (command.includes('supervisor.js')) return 'supervisor';
  if (/redis-server|server-keeper\.js|js-server\.js/.test(command)) return 'redis';
  if (/\/app\//.test(command)) return 'instances';
  return 'other-lab';
}

interface ProcSample {
  pid: number;
  lab: string;
  role: Role;
  cpuMs: number;
  rssKb: number;
}

function sampleLabProcesses(labIds: Set<string>): ProcSample[] {
  const out: ProcSample[] = [];
  for (const [lab, pids] of processesByLab()) {
    if (!labIds.has(lab)) continue;
    for (const pid of pids) {
      const info = procInfo(pid);
      if (info) out.push({ pid, lab, role: roleOf(info.command), cpuMs: info.cpuMs, rssKb: info.rssKb });
    }
  }
  return out;
}

/** Jiffies of the whole machine: busy and total, from the first line of /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const fields = (readText('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function meminfo(): { totalKb: number; availableKb: number; usedKb: number } {
  const text = readText('/proc/meminfo') ?? '';
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const totalKb = kb('MemTotal');
  const availableKb = kb('MemAvailable');
  return { totalKb, availableKb, usedKb: totalKb - availableKb };
}

/** CPU ms of a process's threads: its main thread, libuv's thread pool (file system work), and the rest (V8, GC). */
function threadCpu(pid: number | undefined): { main: number; pool: number; other: number } {
  const out = { main: 0, pool: 0, other: 0 };
  if (!pid) return out;
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    const stat = readText(`/proc/${pid}/task/${task}/stat`);
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    if (Number(task) === pid) out.main += ms;
    else if (name === 'libuv-worker') out.pool += ms;
    else out.other += ms;
  }
  return out;
}

/** The lab host: the child of this process running scripts/start.ts (spawnStart runs node directly). */
function findHostPid(): number | undefined {
  return childrenOf(process.pid).find((pid) => procInfo(pid)?.command.includes('scripts/start.ts'));
}

// ---------------------------------------------------------------- a step's figures

interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function latency(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50), 1),
    p95: round(percentile(sorted, 95), 1),
    p99: round(percentile(sorted, 99), 1),
    max: sorted.length ? round(sorted[sorted.length - 1]!, 1) : Number.NaN,
  };
}

interface StepResult {
  labs: number;
  held: number;
  notHeld: Array<{ lab: number; labId: string; problems: string[] }>;
  windowS: number;
  memory: {
    rssPerLabMb: number;
    pssPerLabMb: number;
    /** machine used memory above the level before the host started, divided by labs */
    machinePerLabMb: number;
    machineUsedGb: number;
    machineTotalGb: number;
    processesPerLab: number;
    pssByRoleMb: Record<Role, number>;
  };
  latencyMs: { events: Latency; request: Latency; user: Latency; commandRtt: Latency };
  rps: { served: number; asked: number; userEvents: number; failedUsers: number };
  /** CPU over the window, in cores (1.0 = one core fully busy) */
  cpuCores: {
    machine: number;
    supervisor: number;
    instances: number;
    redis: number;
    otherLab: number;
    host: number;
    /** the host's main thread (WebSockets, event forwarding) and its libuv thread pool (file system, /proc reads) */
    hostMain: number;
    hostPool: number;
    bench: number;
    elsewhere: number;
  };
  /** CPU ms per served request, lab processes only (supervisor + instances + redis) and host */
  cpuMsPerRequest: { labs: number; host: number };
  benchLoopDelayP99Ms: number;
  loadAverage: number[];
  openMs: { median: number; max: number };
  startMs: { median: number; max: number };
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};

async function measure(labs: TabLab[], hostPid: number | undefined, idleUsedKb: number): Promise<StepResult> {
  const ids = new Set(labs.map((l) => l.labId));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  for (const lab of labs) lab.window = emptyWindow();
  const before = {
    procs: new Map(sampleLabProcesses(ids).map((p) => [p.pid, p])),
    machine: machineCpu(),
    host: hostPid ? (procInfo(hostPid)?.cpuMs ?? 0) : 0,
    hostThreads: threadCpu(hostPid),
    bench: process.cpuUsage(),
    at: performance.now(),
  };
  loop.enable();
  await sleep(WINDOW_S * 1000);
  loop.disable();
  const elapsedS = (performance.now() - before.at) / 1000;
  const after = sampleLabProcesses(ids);
  const machine = machineCpu();
  const hostCpu = hostPid ? (procInfo(hostPid)?.cpuMs ?? 0) : 0;
  const hostThreads = threadCpu(hostPid);
  const benchCpu = process.cpuUsage(before.bench);

  // CPU by role: only processes seen at both ends of the window.
  const cpuByRole: Record<Role, number> = { supervisor: 0, instances: 0, redis: 0, 'other-lab': 0 };
  for (const p of after) {
    const b = before.procs.get(p.pid);
    if (b) cpuByRole[p.role] += p.cpuMs - b.cpuMs;
  }
  const cores = (ms: number) => round(ms / 1000 / elapsedS, 3);
  const ncpu = os.cpus().length;
  const machineCores = round(((machine.busy - before.machine.busy) / Math.max(1, machine.total - before.machine.total)) * ncpu, 3);
  const hostMs = hostCpu - before.host;
  const benchMs = (benchCpu.user + benchCpu.system) / 1000;
  const labMs = ROLES.reduce((sum, role) => sum + cpuByRole[role], 0);
  const elsewhere = Math.max(0, round(machineCores - cores(labMs + hostMs + benchMs), 3));

  // Memory at the end of the window.
  const mem = meminfo();
  const pssByRole: Record<Role, number> = { supervisor: 0, instances: 0, redis: 0, 'other-lab': 0 };
  let rssKb = 0;
  let pss = 0;
  for (const p of after) {
    const kb = pssKb(p.pid);
    pss += kb;
    pssByRole[p.role] += kb;
    rssKb += p.rssKb;
  }
  const n = labs.length;
  const perLabMb = (kb: number) => round(kb / 1024 / n, 1);

  const all = (key: 'requestLatency' | 'userLatency' | 'rtt') => labs.flatMap((l) => l.window[key]);
  const requests = labs.reduce((s, l) => s + l.window.requests, 0);
  const users = labs.reduce((s, l) => s + l.window.users, 0);
  const notHeld = labs.map((l) => ({ lab: l.index, labId: l.labId, problems: l.heldProblems() })).filter((l) => l.problems.length > 0);
  return {
    labs: n,
    held: n - notHeld.length,
    notHeld,
    windowS: round(elapsedS, 1),
    memory: {
      rssPerLabMb: perLabMb(rssKb),
      pssPerLabMb: perLabMb(pss),
      machinePerLabMb: perLabMb(mem.usedKb - idleUsedKb),
      machineUsedGb: round(mem.usedKb / 2 ** 20, 2),
      machineTotalGb: round(mem.totalKb / 2 ** 20, 1),
      processesPerLab: round(after.length / n, 1),
      pssByRoleMb: Object.fromEntries(ROLES.map((r) => [r, perLabMb(pssByRole[r])])) as Record<Role, number>,
    },
    latencyMs: {
      events: latency([...all('requestLatency'), ...all('userLatency')]),
      request: latency(all('requestLatency')),
      user: latency(all('userLatency')),
      commandRtt: latency(all('rtt')),
    },
    rps: {
      served: round(requests / elapsedS, 1),
      asked: RPS * n,
      userEvents: users,
      failedUsers: labs.reduce((s, l) => s + l.window.failedUsers, 0),
    },
    cpuCores: {
      machine: machineCores,
      supervisor: cores(cpuByRole.supervisor),
      instances: cores(cpuByRole.instances),
      redis: cores(cpuByRole.redis),
      otherLab: cores(cpuByRole['other-lab']),
      host: cores(hostMs),
      hostMain: cores(hostThreads.main - before.hostThreads.main),
      hostPool: cores(hostThreads.pool - before.hostThreads.pool),
      bench: cores(benchMs),
      elsewhere,
    },
    cpuMsPerRequest: { labs: round(labMs / Math.max(1, requests), 2), host: round(hostMs / Math.max(1, requests), 2) },
    benchLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    openMs: { median: round(median(labs.map((l) => l.openMs)), 0), max: round(Math.max(...labs.map((l) => l.openMs)), 0) },
    startMs: { median: round(median(labs.map((l) => l.startMs)), 0), max: round(Math.max(...labs.map((l) => l.startMs)), 0) },
  };
}

// ---------------------------------------------------------------- output

function printTables(steps: StepResult[]): void {
  const base = steps[0];
  const ratio = (v: number, b: number | undefined) => (b && Number.isFinite(v) && b > 0 ? `×${(v / b).toFixed(1)}` : '');
  const rows: string[][] = [[
    'labs', 'held', 'RSS/lab', 'PSS/lab', 'used/lab', 'machine used', 'event p50', 'event p95', 'event p99', 'p95 vs 1 lab',
    'req ev p95', 'user ev p95', 'RTT p50', 'RTT p95', 'req/s (asked)', 'load1',
  ]];
  for (const s of steps) {
    const l = s.latencyMs;
    rows.push([
      String(s.labs), `${s.held}/${s.labs}`,
      `${s.memory.rssPerLabMb.toFixed(0)} MB`, `${s.memory.pssPerLabMb.toFixed(0)} MB`, `${s.memory.machinePerLabMb.toFixed(0)} MB`,
      `${s.memory.machineUsedGb.toFixed(1)}/${s.memory.machineTotalGb.toFixed(0)} GB`,
      `${l.events.p50} ms`, `${l.events.p95} ms${l.events.p95 < AIM.p95Ms ? '' : ' !'}`, `${l.events.p99} ms`, ratio(l.events.p95, base?.latencyMs.events.p95),
      `${l.request.p95} ms`, `${l.user.p95} ms`, `${l.commandRtt.p50} ms`, `${l.commandRtt.p95} ms`,
      `${s.rps.served} (${s.rps.asked})`, s.loadAverage[0]!.toFixed(2),
    ]);
  }
  printGrid(rows);
  console.log('\nCPU over each window, in cores (2 = the whole machine); ms of CPU per served request');
  const cpu: string[][] = [['labs', 'machine', 'supervisors', 'instances', 'redis', 'host (main/pool)', 'this bench', 'elsewhere', 'lab ms/req', 'host ms/req', 'bench loop p99', 'open / start (median)']];
  for (const s of steps) {
    const c = s.cpuCores;
    cpu.push([
      String(s.labs), c.machine.toFixed(2), c.supervisor.toFixed(2), c.instances.toFixed(2), c.redis.toFixed(2), `${c.host.toFixed(2)} (${c.hostMain.toFixed(2)}/${c.hostPool.toFixed(2)})`, c.bench.toFixed(2),
      c.elsewhere.toFixed(2), s.cpuMsPerRequest.labs.toFixed(2), s.cpuMsPerRequest.host.toFixed(2), `${s.benchLoopDelayP99Ms} ms`,
      `${s.openMs.median} / ${s.startMs.median} ms`,
    ]);
  }
  printGrid(cpu);
}

function printGrid(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padStart(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

function stepLine(s: StepResult): string {
  const l = s.latencyMs;
  return (
    `${s.labs} labs: held ${s.held}, PSS ${s.memory.pssPerLabMb} MB/lab (RSS ${s.memory.rssPerLabMb}), events p50 ${l.events.p50} / p95 ${l.events.p95} / p99 ${l.events.p99} ms ` +
    `(n=${l.events.count}), RTT p50 ${l.commandRtt.p50} / p95 ${l.commandRtt.p95} ms, ${s.rps.served} req/s, CPU ${s.cpuCores.machine} cores, load ${s.loadAverage.map((x) => x.toFixed(2)).join(' ')}`
  );
}

// ---------------------------------------------------------------- main

/** labs that came up and are being measured */
const labs: TabLab[] = [];
/** every tab opened, including those whose lab failed to come up, so clean-up closes them all */
const everyTab: TabLab[] = [];
const failedOpens: Array<{ runningLabs: number; error: string }> = [];
let server: StartedServer | undefined;
let cleaning: Promise<void> | undefined;

/** Close every lab, wait for the host to tear them down, stop the host; then look for any LAB_ID left over. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    const ids = new Set(everyTab.map((l) => l.labId).filter(Boolean));
    for (const lab of everyTab) lab.close();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && [...processesByLab().keys()].some((id) => ids.has(id))) await sleep(250);
    await server?.stop();
    await sleep(500);
    const left = [...processesByLab()].filter(([id]) => ids.has(id));
    if (left.length) {
      console.log(`WARNING: ${left.length} lab(s) still have processes after the host stopped: ${left.map(([id, pids]) => `${id} (pids ${pids.join(', ')})`).join('; ')}`);
    } else {
      console.log(`Clean-up: all ${ids.size} labs closed, host stopped, no process with their LAB_ID left.`);
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: closing every lab and stopping the host…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist', 'index.html'))) {
    console.error('dist/index.html is missing: build the site first with `npx astro build` (npm start would build it inside the bench).');
    process.exit(1);
  }
  const lesson = await loadLesson(LESSON);
  if (!lesson.meta.lab) throw new Error(`lesson ${LESSON} has no lab`);
  const steps = [1];
  for (let n = STEP; n <= MAX; n += STEP) if (n > 1) steps.push(n);
  if (steps.at(-1) !== MAX && MAX > 1) steps.push(MAX);

  const startedAt = new Date();
  const ncpu = os.cpus().length;
  const idle = meminfo();
  const loadAtStart = os.loadavg();
  console.log(`Lab host load bench: lesson ${lesson.slug} (solution), traffic ${RPS} req/s per lab, steps ${steps.join(', ')}, window ${WINDOW_S} s after ${SETTLE_S} s settling`);
  console.log(`Node ${process.version}, ${ncpu} CPU (${os.cpus()[0]?.model ?? '?'}), ${round(idle.totalKb / 2 ** 20, 1)} GB RAM, ${round(idle.usedKb / 2 ** 20, 2)} GB used before the host`);
  console.log(`Load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}${loadAtStart[0]! > ncpu / 2 ? '  (busy machine: figures will be noisy)' : ''}`);
  console.log(`Stops at ${MAX} labs, event p95 > ${CEILING_MS} ms, a lab not held, or memory above ${Math.round(MEM_FRACTION * 100)} %. Aim: ${AIM.labs} labs with p95 < ${AIM.p95Ms} ms.\n`);

  server = await spawnStart({ env: { ...process.env, MAX_LABS: String(MAX + 5) } });
  const hostPid = findHostPid();
  const origin = server.url;
  console.log(`Lab host at ${server.url} (pid ${hostPid ?? '?'})`);

  const results: StepResult[] = [];
  let stopReason = `reached --max ${MAX}`;
  ramp: for (const target of steps) {
    // Memory guard: would this step take the machine above the safe fraction?
    const last = results.at(-1);
    if (last) {
      const mem = meminfo();
      const perLabKb = Math.max(last.memory.machinePerLabMb, last.memory.pssPerLabMb) * 1024;
      const projected = mem.usedKb + perLabKb * (target - labs.length);
      if (projected > MEM_FRACTION * mem.totalKb) {
        stopReason = `${target} labs would use about ${round(projected / 2 ** 20, 1)} GB, above ${Math.round(MEM_FRACTION * 100)} % of ${round(mem.totalKb / 2 ** 20, 1)} GB`;
        break;
      }
    }
    process.stdout.write(`opening labs ${labs.length + 1}…${target} `);
    const t0 = performance.now();
    let failuresInARow = 0;
    while (labs.length < target) {
      const lab = new TabLab(labs.length + 1, server.url, origin);
      everyTab.push(lab);
      try {
        await lab.bringUp(lesson.slug, lesson.solution);
        labs.push(lab);
        failuresInARow = 0;
        process.stdout.write('.');
      } catch (error) {
        // A tab whose lab fails to come up: the learner would see it. Count it, close it, try once more; two in a
        // row end the ramp.
        const message = (error as Error).message;
        failedOpens.push({ runningLabs: labs.length, error: message });
        lab.close();
        process.stdout.write('x');
        if (++failuresInARow >= 2) {
          console.log('');
          stopReason = `two labs in a row could not be opened with ${labs.length} running; the last: ${message}`;
          break ramp;
        }
        console.log(`\n  ${message} — closing it and trying again`);
        await sleep(2000);
      }
    }
    console.log(` ${round((performance.now() - t0) / 1000, 1)} s; settling ${SETTLE_S} s, measuring ${WINDOW_S} s`);
    await sleep(SETTLE_S * 1000);
    const result = await measure(labs, hostPid, idle.usedKb);
    results.push(result);
    console.log(`  ${stepLine(result)}`);
    for (const bad of result.notHeld.slice(0, 5)) console.log(`  not held: lab ${bad.lab} (${bad.labId}): ${bad.problems.slice(0, 3).join('; ')}`);
    if (result.held < result.labs) {
      stopReason = `${result.labs - result.held} of ${result.labs} labs not held`;
      break;
    }
    if (result.latencyMs.events.p95 > CEILING_MS) {
      stopReason = `event latency p95 ${result.latencyMs.events.p95} ms above the ceiling of ${CEILING_MS} ms`;
      break;
    }
  }

  console.log(`\nStopped ramping: ${stopReason}.`);
  const loadAtEnd = os.loadavg();
  await cleanUp();

  console.log(`\nLab host load: ${lesson.slug} solution, 3 instances per lab, traffic ${RPS} req/s per lab, ${WINDOW_S} s windows`);
  console.log('memory: RSS and PSS summed over the lab\'s processes (LAB_ID); used/lab: machine MemTotal − MemAvailable above the level before the host, per lab');
  console.log('event latency: receipt at the WebSocket client − event.t, request + user events; RTT: status command → reply\n');
  printTables(results);
  const fullyHeld = results.filter((r) => r.held === r.labs);
  const best = fullyHeld.filter((r) => r.latencyMs.events.p95 < AIM.p95Ms).at(-1);
  console.log(
    `\nMost labs held: ${fullyHeld.at(-1)?.labs ?? 0}; most held with event p95 < ${AIM.p95Ms} ms: ${best?.labs ?? 0} ` +
      `(aim: ${AIM.labs}) — ${best && best.labs >= AIM.labs ? 'aim met' : 'aim MISSED'}`,
  );
  if (failedOpens.length) {
    console.log(`Labs that did not come up (${failedOpens.length}):`);
    for (const f of failedOpens) console.log(`  with ${f.runningLabs} running: ${f.error}`);
  }
  console.log(`Load average: at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at the last step ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}`);

  const out = path.join(import.meta.dirname, 'results', `lab-host-load-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await fsp.mkdir(path.dirname(out), { recursive: true });
  await fsp.writeFile(
    out,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        machine: { node: process.version, cpus: ncpu, cpuModel: os.cpus()[0]?.model, platform: `${os.platform()} ${os.release()}`, memMb: Math.round(os.totalmem() / 2 ** 20) },
        settings: { lesson: lesson.slug, files: 'solution', max: MAX, step: STEP, steps, windowS: WINDOW_S, settleS: SETTLE_S, rpsPerLab: RPS, ceilingMs: CEILING_MS, memFraction: MEM_FRACTION, probeEveryMs: PROBE_EVERY_MS, aim: AIM },
        idleUsedMb: round(idle.usedKb / 1024, 0),
        steps: results,
        stopReason,
        failedOpens,
        loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd },
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`Figures: ${path.relative(process.cwd(), out)}`);
}

try {
  await main();
} finally {
  await cleanUp();
}
