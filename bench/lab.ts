/**
 * Lab engine bench: how fast a lab starts, restarts an instance and rolls a deploy, what the balancer costs in
 * throughput and latency, and how much memory a running lab takes. Every figure is the median (min–max) of
 * several runs on this machine, next to a baseline measured in the same run.
 *
 * Usage: node bench/lab.ts [--runs=N] [--quick]
 *   --runs=N   repetitions per figure (default 5)
 *   --quick    2 runs and shorter load phases, to try the script out
 * Prints a table and writes the raw figures to bench/results/lab-<timestamp>.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { LabProcess } from '../playground/server/lab-process.ts';
import { startCommand } from '../playground/protocol/start-command.ts';
import { loadLesson } from '../playground/course/lessons.ts';
import type { LabFile } from '../playground/protocol/lab-file.ts';
import { bareNodeBaseline, EventLog, login, pingRedis, request, sleep } from './lib/lab-helpers.ts';
import { runLoad, runLoadInWorker, type LoadResult } from './lib/load.ts';
import { procInfo, treeInfo, type ProcInfo } from './lib/proc.ts';
import { round, summarize, type Summary } from './lib/stats.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const RUNS = Number(args.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? (quick ? 2 : 5));
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 20) throw new Error('--runs must be a whole number from 1 to 20');
const BACKENDS = ['redis-server', 'js'] as const;
type Backend = (typeof BACKENDS)[number];
/** Load phases of the throughput figure. */
const HIGH: Shape = { connections: 32, durationMs: quick ? 1500 : 3000, warmupMs: 500, modes: ['direct', 'balancer', 'bare-balancer'] };
const LOW: Shape = { connections: 1, durationMs: quick ? 1000 : 1500, warmupMs: 300, modes: ['direct', 'balancer'] };
const LESSON: Shape = { connections: 32, durationMs: quick ? 1000 : 2000, warmupMs: 300, modes: ['direct', 'balancer'] };
/** Steady traffic during a rolling deploy: 4 keep-alive clients, each pausing a little between requests. */
const DEPLOY_TRAFFIC = { connections: 4, thinkMs: 2 };

/** The trivial app of the throughput figure: node:http, no framework, no Redis. */
const TRIVIAL_SERVER = `import http from 'node:http';
const instance = process.env.INSTANCE_ID;
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok ' + instance + '\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;
const TRIVIAL_FILES: LabFile[] = [
  { path: 'package.json', content: JSON.stringify({ name: 'bench-app', private: true, type: 'module' }) },
  { path: 'server.js', content: TRIVIAL_SERVER },
];

// ---------------------------------------------------------------- lab bookkeeping: every lab is destroyed

const live = new Set<LabProcess>();

async function createLab(options: Parameters<typeof LabProcess.create>[0]): Promise<LabProcess> {
  const lab = await LabProcess.create(options);
  live.add(lab);
  return lab;
}

async function destroyLab(lab: LabProcess): Promise<number> {
  const started = performance.now();
  live.delete(lab);
  await lab.destroy();
  return performance.now() - started;
}

async function destroyAll(): Promise<void> {
  await Promise.allSettled([...live].map((lab) => destroyLab(lab)));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every lab…`);
    void destroyAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- 1. start to ready, 5. memory, 2. restart, 3. deploy

interface StartTiming {
  /** LabProcess.create to the end of readiness: ready event received and Redis answered PING */
  readyMs: number;
  helloMs: number;
  redisUpMs: number;
  redisPongMs: number;
  balancerUpMs: number;
  instancesUpMs: number[];
  readyEventMs: number;
}

interface MemorySample {
  totalKb: number;
  supervisorKb: number;
  instancesKb: number;
  redisKb: number;
  processes: Array<Pick<ProcInfo, 'pid' | 'ppid' | 'command' | 'rssKb'> & { role: string }>;
}

interface DeploySample {
  deployMs: number;
  requests: number;
  failed: number;
  rps: number;
  p99Ms: number;
  failures: LoadResult['failures'];
  servedBy: Record<string, number>;
}

interface LessonRun {
  backend: Backend;
  start: StartTiming;
  memory: MemorySample;
  restart: { restartMs: number; stoppedMs: number };
  deploy: DeploySample;
  destroyMs: number;
}

function roleOf(info: ProcInfo, root: number): string {
  if (info.pid === root) return 'supervisor';
  if (/redis-server|server-keeper\.js|js-server\.js/.test(info.command)) return 'redis';
  if (/\/app\//.test(info.command)) return 'instance';
  return 'other';
}

function memoryOf(root: number): MemorySample {
  const processes = treeInfo(root).map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command.slice(0, 160), rssKb: p.rssKb, role: roleOf(p, root) }));
  const sum = (role?: string) => processes.filter((p) => !role || p.role === role).reduce((total, p) => total + p.rssKb, 0);
  return { totalKb: sum(), supervisorKb: sum('supervisor'), instancesKb: sum('instance'), redisKb: sum('redis'), processes };
}

async function lessonRun(backend: Backend, files: LabFile[], start: ReturnType<typeof startCommand>): Promise<LessonRun> {
  const t0 = performance.now();
  const lab = await createLab({ files, redis: backend });
  try {
    const log = new EventLog(lab, t0);
    // Redis counts as up once it answers a PING, not merely when the supervisor says so.
    let pong: Promise<number> | undefined;
    lab.on('event', (event) => {
      if (pong || event.type !== 'process' || event.role !== 'redis' || event.state !== 'up') return;
      const port = Number(event.port);
      pong = (async () => {
        for (let i = 0; i < 200; i++) {
          if (await pingRedis(port, 1000)) return performance.now() - t0;
          await sleep(5);
        }
        throw new Error(`Redis on port ${port} never answered PING`);
      })();
    });
    await lab.send(start);
    const readyEventMs = performance.now() - t0;
    if (!pong) throw new Error('the supervisor reported ready without a Redis');
    const redisPongMs = await pong;
    const at = (pred: (e: Record<string, unknown>) => boolean) => log.find(pred)?.at ?? Number.NaN;
    const instancesUpMs = ['A', 'B', 'C'].map((name) => at((e) => e.type === 'process' && e.role === 'instance' && e.name === name && e.state === 'up'));
    const timing: StartTiming = {
      readyMs: Math.max(readyEventMs, redisPongMs),
      helloMs: at((e) => e.type === 'hello'),
      redisUpMs: at((e) => e.type === 'process' && e.role === 'redis' && e.state === 'up'),
      redisPongMs,
      balancerUpMs: at((e) => e.type === 'process' && e.role === 'balancer' && e.state === 'up'),
      instancesUpMs,
      readyEventMs,
    };
    if (instancesUpMs.some(Number.isNaN)) throw new Error(`not every instance came up: ${JSON.stringify(log.events.filter((e) => e.type === 'process'))}`);

    // Memory of a lab in use: one login and a few visits so every instance has loaded its routes and reached Redis.
    const port = lab.balancerPort;
    const cookie = await login(port, 'bench');
    for (let i = 0; i < 9; i++) {
      const visit = await request(port, 'GET', '/me', { headers: { cookie } });
      if (visit.status !== 200) throw new Error(`GET /me answered ${visit.status} after login: ${visit.body.slice(0, 200)}`);
    }
    await sleep(300);
    const memory = memoryOf(lab.pid!);

    // One instance restart: stop B gracefully, start a fresh B, until it answers HTTP again.
    const r0 = performance.now();
    const isB = (state: string) => (e: Record<string, unknown>) => e.type === 'process' && e.role === 'instance' && e.name === 'B' && e.state === state;
    const stopped = lab.waitFor(isB('stopped'), 10_000).then(() => performance.now() - r0);
    const upAgain = lab.waitFor(isB('up'), 10_000).then(() => performance.now() - r0);
    await lab.send({ type: 'instance', action: 'restart', name: 'B' });
    const restart = { restartMs: await upAgain, stoppedMs: await stopped };

    const deploy = await deployUnderTraffic(lab, cookie);
    const destroyMs = await destroyLab(lab);
    return { backend, start: timing, memory, restart, deploy, destroyMs };
  } finally {
    if (live.has(lab)) await destroyLab(lab);
  }
}

async function deployUnderTraffic(lab: LabProcess, cookie: string): Promise<DeploySample> {
  const stop = new AbortController();
  const traffic = runLoad({
    port: lab.balancerPort,
    path: '/me',
    headers: { cookie },
    connections: DEPLOY_TRAFFIC.connections,
    thinkMs: DEPLOY_TRAFFIC.thinkMs,
    durationMs: 30_000,
    maxRequests: 200_000,
    signal: stop.signal,
  });
  let deployMs = Number.NaN;
  try {
    await sleep(300);
    const d0 = performance.now();
    await lab.send({ type: 'deploy' });
    deployMs = performance.now() - d0;
    await sleep(300);
  } finally {
    stop.abort();
  }
  const result = await traffic;
  return {
    deployMs,
    requests: result.requests,
    failed: result.failed,
    rps: result.rps,
    p99Ms: result.latencyMs.p99,
    failures: result.failures,
    servedBy: result.servedBy,
  };
}

// ---------------------------------------------------------------- 4. balancer vs direct throughput

/** direct: to the instance's own port; balancer: through the lab; bare-balancer: balancer.js alone, no events */
type Mode = 'direct' | 'balancer' | 'bare-balancer';
type App = 'trivial' | 'lesson';

interface Shape {
  connections: number;
  durationMs: number;
  warmupMs: number;
  modes: Mode[];
}

interface ThroughputSample {
  app: App;
  mode: Mode;
  run: number;
  connections: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  requests: number;
  /** CPU time per request (warm-up included), in µs, of each process while the load ran */
  cpuUsPerRequest: { supervisor: number; instance: number; bareBalancer: number; bench: number };
}

/** Start balancer.js alone in front of a port; resolves with its port and a stop function. */
async function startBareBalancer(backendPort: number): Promise<{ port: number; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'lib', 'bare-balancer.ts'), String(backendPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = () => {
    child.stdin?.end();
    child.kill('SIGKILL');
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bare balancer did not start within 5 s')), 5000);
      readline.createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        resolve(Number(line));
      });
      child.once('exit', (code) => reject(new Error(`the bare balancer exited (${code})`)));
    });
    return { port, pid: child.pid!, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** Start a 1-instance lab; resolves with the lab, its instance's port and pid. */
async function oneInstanceLab(files: LabFile[], start: ReturnType<typeof startCommand>): Promise<{ lab: LabProcess; log: EventLog; port: number; pid: number }> {
  const t0 = performance.now();
  const lab = await createLab({ files, redis: 'redis-server' });
  const log = new EventLog(lab, t0);
  await lab.send({ ...start, instances: 1 });
  const found = log.find((e) => e.type === 'process' && e.role === 'instance' && e.name === 'A' && e.state === 'up');
  const a = found?.type === 'process' && found.role === 'instance' ? found : undefined;
  const port = Number(a?.port);
  const pid = Number(a?.pid);
  if (!port || !pid) throw new Error('instance A did not report its port and pid');
  return { lab, log, port, pid };
}

async function compare(options: {
  app: App;
  lab: LabProcess;
  instance: { port: number; pid: number };
  bare?: { port: number; pid: number };
  path: string;
  headers?: Record<string, string>;
  shapes: Shape[];
}): Promise<ThroughputSample[]> {
  const { app, lab, instance, bare } = options;
  const supervisorPid = lab.pid!;
  const cpu = (pid: number | undefined) => (pid ? (procInfo(pid)?.cpuMs ?? 0) : 0);
  const samples: ThroughputSample[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const shape of options.shapes) {
      // Rotate which side goes first, so warm-up and drift do not favour one of them.
      const modes = shape.modes.filter((m) => m !== 'bare-balancer' || bare);
      const order = modes.map((_, k) => modes[(k + run) % modes.length]!);
      for (const mode of order) {
        const port = mode === 'direct' ? instance.port : mode === 'balancer' ? lab.balancerPort : bare!.port;
        const before = { sup: cpu(supervisorPid), inst: cpu(instance.pid), bare: cpu(bare?.pid), bench: process.cpuUsage() };
        const result = await runLoadInWorker({
          port, path: options.path, headers: options.headers, connections: shape.connections, durationMs: shape.durationMs, warmupMs: shape.warmupMs,
          maxRequests: 2_000_000, timeoutMs: 5000,
        });
        const benchCpu = process.cpuUsage(before.bench);
        const total = Math.max(1, result.requests + result.warmupRequests);
        const perRequest = (ms: number) => round((ms * 1000) / total, 1);
        samples.push({
          app, mode, run, connections: shape.connections,
          rps: result.rps, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, failed: result.failed, requests: result.requests,
          cpuUsPerRequest: {
            supervisor: perRequest(cpu(supervisorPid) - before.sup),
            instance: perRequest(cpu(instance.pid) - before.inst),
            bareBalancer: perRequest(cpu(bare?.pid) - before.bare),
            bench: perRequest((benchCpu.user + benchCpu.system) / 1000),
          },
        });
        await sleep(200);
      }
    }
  }
  return samples;
}

/** The trivial app: 32 and 1 connections, direct vs the lab's balancer vs balancer.js alone. */
async function trivialThroughput(): Promise<{ samples: ThroughputSample[]; requestEvents: number }> {
  const { lab, log, port, pid } = await oneInstanceLab(TRIVIAL_FILES, { type: 'start', strategy: 'round-robin', entry: 'server.js' });
  let bare: Awaited<ReturnType<typeof startBareBalancer>> | undefined;
  try {
    bare = await startBareBalancer(port);
    const samples = await compare({ app: 'trivial', lab, instance: { port, pid }, bare, path: '/', shapes: [HIGH, LOW] });
    return { samples, requestEvents: log.requests };
  } finally {
    bare?.stop();
    await destroyLab(lab);
  }
}

/** The lesson's solution (express-session reading Redis on every request), logged in: direct vs balancer. */
async function lessonThroughput(files: LabFile[], start: ReturnType<typeof startCommand>): Promise<ThroughputSample[]> {
  const { lab, port, pid } = await oneInstanceLab(files, start);
  try {
    const cookie = await login(lab.balancerPort, 'bench');
    return await compare({ app: 'lesson', lab, instance: { port, pid }, path: '/me', headers: { cookie }, shapes: [LESSON] });
  } finally {
    await destroyLab(lab);
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const began = performance.now();
  const lesson = await loadLesson('sessions-in-redis');
  const start = startCommand(lesson.meta.lab);
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  console.log(`Lab bench: ${RUNS} runs per figure, Node ${process.version}, ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? '?'}), ${os.platform()} ${os.release()}`);
  console.log(`Load average before the bench: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  if (loadAtStart[0]! > os.cpus().length / 2) console.log('Warning: this machine is already busy; throughput and latency figures will be noisy and low.');

  // Baselines: one bare node HTTP process, spawn to first answer, and its idle memory.
  const bare = [];
  for (let i = 0; i < RUNS + 1; i++) bare.push(await bareNodeBaseline(TRIVIAL_SERVER));
  bare.shift(); // the first one warms the disk cache

  // One discarded lab start, so the first counted run does not pay for a cold disk cache alone.
  process.stdout.write('warm-up lab… ');
  const warmup = await lessonRun('redis-server', lesson.solution, start);
  console.log(`ready in ${Math.round(warmup.start.readyMs)} ms`);

  const runs: LessonRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const backend of i % 2 ? [...BACKENDS].reverse() : BACKENDS) {
      process.stdout.write(`lesson lab ${i + 1}/${RUNS} (${backend})… `);
      const run = await lessonRun(backend, lesson.solution, start);
      runs.push(run);
      console.log(
        `ready ${Math.round(run.start.readyMs)} ms, restart ${Math.round(run.restart.restartMs)} ms, deploy ${Math.round(run.deploy.deployMs)} ms ` +
          `(${run.deploy.failed}/${run.deploy.requests} failed), ${Math.round(run.memory.totalKb / 1024)} MB`,
      );
    }
  }

  process.stdout.write('throughput, trivial app (1 instance)… ');
  const trivial = await trivialThroughput();
  console.log('done');
  process.stdout.write('throughput, sessions-in-redis solution (1 instance)… ');
  const lessonSamples = await lessonThroughput(lesson.solution, start);
  console.log('done');
  const samples = [...trivial.samples, ...lessonSamples];

  // ------------------------------------------------------------ figures
  const of = (backend: Backend) => runs.filter((r) => r.backend === backend);
  const tp = (app: App, mode: Mode, connections: number) => samples.filter((s) => s.app === app && s.mode === mode && s.connections === connections);
  /** A figure computed per run from two modes measured in that same run. */
  const paired = (app: App, connections: number, other: Mode, f: (direct: ThroughputSample, other: ThroughputSample) => number) =>
    summarize(tp(app, 'direct', connections).flatMap((d) => {
      const o = tp(app, other, connections).find((s) => s.run === d.run);
      return o ? [f(d, o)] : [];
    }));

  const figures: Record<string, Summary> = {};
  for (const backend of BACKENDS) {
    figures[`start.${backend}.readyMs`] = summarize(of(backend).map((r) => r.start.readyMs));
    figures[`start.${backend}.redisPongMs`] = summarize(of(backend).map((r) => r.start.redisPongMs));
    figures[`start.${backend}.balancerUpMs`] = summarize(of(backend).map((r) => r.start.balancerUpMs));
    figures[`start.${backend}.firstInstanceUpMs`] = summarize(of(backend).map((r) => Math.min(...r.start.instancesUpMs)));
    figures[`start.${backend}.helloMs`] = summarize(of(backend).map((r) => r.start.helloMs));
    figures[`restart.${backend}.ms`] = summarize(of(backend).map((r) => r.restart.restartMs));
    figures[`deploy.${backend}.ms`] = summarize(of(backend).map((r) => r.deploy.deployMs));
    figures[`deploy.${backend}.failed`] = summarize(of(backend).map((r) => r.deploy.failed));
    figures[`deploy.${backend}.requests`] = summarize(of(backend).map((r) => r.deploy.requests));
    figures[`deploy.${backend}.rps`] = summarize(of(backend).map((r) => r.deploy.rps));
    figures[`memory.${backend}.totalMb`] = summarize(of(backend).map((r) => r.memory.totalKb / 1024));
    figures[`memory.${backend}.supervisorMb`] = summarize(of(backend).map((r) => r.memory.supervisorKb / 1024));
    figures[`memory.${backend}.instancesMb`] = summarize(of(backend).map((r) => r.memory.instancesKb / 1024));
    figures[`memory.${backend}.redisMb`] = summarize(of(backend).map((r) => r.memory.redisKb / 1024));
    figures[`destroy.${backend}.ms`] = summarize(of(backend).map((r) => r.destroyMs));
  }
  figures['baseline.bareNodeAnswerMs'] = summarize(bare.map((b) => b.answerMs));
  figures['baseline.bareNodeRssMb'] = summarize(bare.map((b) => b.rssKb / 1024));
  for (const [app, shapes] of [['trivial', [HIGH, LOW]], ['lesson', [LESSON]]] as const) {
    for (const shape of shapes) {
      const c = shape.connections;
      for (const mode of shape.modes) {
        const key = `${app}.c${c}.${mode}`;
        figures[`${key}.rps`] = summarize(tp(app, mode, c).map((s) => s.rps));
        figures[`${key}.p50Ms`] = summarize(tp(app, mode, c).map((s) => s.p50Ms));
        figures[`${key}.p99Ms`] = summarize(tp(app, mode, c).map((s) => s.p99Ms));
        figures[`${key}.failed`] = summarize(tp(app, mode, c).map((s) => s.failed));
        for (const side of ['supervisor', 'instance', 'bareBalancer', 'bench'] as const) {
          figures[`${key}.cpu.${side}UsPerReq`] = summarize(tp(app, mode, c).map((s) => s.cpuUsPerRequest[side]));
        }
        if (mode === 'direct') continue;
        figures[`${key}.ratio`] = paired(app, c, mode, (d, o) => o.rps / d.rps);
        figures[`${key}.addedP50Ms`] = paired(app, c, mode, (d, o) => o.p50Ms - d.p50Ms);
        figures[`${key}.addedP99Ms`] = paired(app, c, mode, (d, o) => o.p99Ms - d.p99Ms);
      }
    }
  }

  printTable(figures);

  const out = path.join(import.meta.dirname, 'results', `lab-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, platform: `${os.platform()} ${os.release()}`, memMb: Math.round(os.totalmem() / 2 ** 20) },
        settings: { runs: RUNS, quick, high: HIGH, low: LOW, lessonLoad: LESSON, deployTraffic: DEPLOY_TRAFFIC, lesson: lesson.slug, start },
        figures,
        raw: { bare, warmup, runs, throughput: samples, requestEventsSeen: trivial.requestEvents },
        loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
        totalSeconds: round((performance.now() - began) / 1000, 1),
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nRaw figures: ${path.relative(process.cwd(), out)} (total ${round((performance.now() - began) / 1000, 1)} s)`);
}

function printTable(figures: Record<string, Summary>) {
  type Aim = { text: string; ok: (median: number) => boolean };
  type Row = [label: string, key: string, unit: string, digits: number, aim?: Aim];
  const under = (limit: number, unit = 'ms'): Aim => ({ text: `< ${limit} ${unit}`, ok: (m) => m < limit });
  const atLeast = (limit: number): Aim => ({ text: `≥ ${limit}`, ok: (m) => m >= limit });
  const rows: Array<Row | string> = ['Start → ready: balancer + 3 instances up + Redis answers PING (sessions-in-redis solution)'];
  for (const b of BACKENDS) {
    rows.push([`  redis: ${b}`, `start.${b}.readyMs`, 'ms', 0, under(1000)]);
    rows.push([`    supervisor hello / Redis PONG / first instance up`, `start.${b}.helloMs`, 'ms', 0]);
    rows.push(['', `start.${b}.redisPongMs`, 'ms', 0]);
    rows.push(['', `start.${b}.firstInstanceUpMs`, 'ms', 0]);
  }
  rows.push(['  baseline: one bare node HTTP server, spawn → answers', 'baseline.bareNodeAnswerMs', 'ms', 0]);
  rows.push('Restart instance B: restart command → B up again');
  for (const b of BACKENDS) rows.push([`  redis: ${b}`, `restart.${b}.ms`, 'ms', 0]);
  rows.push(`Rolling deploy of 3 instances under traffic (${DEPLOY_TRAFFIC.connections} keep-alive clients, GET /me logged in)`);
  for (const b of BACKENDS) {
    rows.push([`  redis: ${b}: duration`, `deploy.${b}.ms`, 'ms', 0]);
    rows.push([`  redis: ${b}: failed requests / requests`, `deploy.${b}.failed`, '', 0, { text: '0 failed', ok: (m) => m === 0 }]);
    rows.push(['', `deploy.${b}.requests`, '', 0]);
  }
  const throughputRows = (app: App, shape: Shape, title: string, headline: { ratio: boolean; latency: boolean }) => {
    const c = shape.connections;
    const k = `${app}.c${c}`;
    rows.push(title);
    rows.push(['  direct: req/s', `${k}.direct.rps`, 'req/s', 0]);
    rows.push(['  balancer: req/s', `${k}.balancer.rps`, 'req/s', 0]);
    rows.push(['  ratio balancer / direct', `${k}.balancer.ratio`, '', 2, headline.ratio ? atLeast(0.5) : undefined]);
    if (shape.modes.includes('bare-balancer')) {
      rows.push(['  balancer.js alone, no event stream: req/s', `${k}.bare-balancer.rps`, 'req/s', 0]);
      rows.push(['  ratio balancer.js alone / direct', `${k}.bare-balancer.ratio`, '', 2]);
    }
    rows.push(['  direct: p50 / p99', `${k}.direct.p50Ms`, 'ms', 2]);
    rows.push(['', `${k}.direct.p99Ms`, 'ms', 2]);
    rows.push(['  balancer: p50 / p99', `${k}.balancer.p50Ms`, 'ms', 2]);
    rows.push(['', `${k}.balancer.p99Ms`, 'ms', 2]);
    rows.push(['  added p99 (balancer − direct)', `${k}.balancer.addedP99Ms`, 'ms', 2, headline.latency ? under(5) : undefined]);
    rows.push(['  CPU µs/request: instance, direct / balancer', `${k}.direct.cpu.instanceUsPerReq`, 'µs', 0]);
    rows.push(['', `${k}.balancer.cpu.instanceUsPerReq`, 'µs', 0]);
    rows.push(['  CPU µs/request: supervisor, direct / balancer', `${k}.direct.cpu.supervisorUsPerReq`, 'µs', 0]);
    rows.push(['', `${k}.balancer.cpu.supervisorUsPerReq`, 'µs', 0]);
    if (shape.modes.includes('bare-balancer')) rows.push(['  CPU µs/request: balancer.js alone', `${k}.bare-balancer.cpu.bareBalancerUsPerReq`, 'µs', 0]);
    rows.push(['  CPU µs/request: this bench process (load + events), direct / balancer', `${k}.direct.cpu.benchUsPerReq`, 'µs', 0]);
    rows.push(['', `${k}.balancer.cpu.benchUsPerReq`, 'µs', 0]);
  };
  throughputRows('trivial', HIGH, `Balancer vs direct: trivial node:http app, 1 instance, ${HIGH.connections} connections (headline for throughput)`, { ratio: true, latency: false });
  throughputRows('trivial', LOW, `Balancer vs direct: trivial node:http app, 1 instance, ${LOW.connections} connection, no queueing (headline for added latency)`, { ratio: false, latency: true });
  throughputRows('lesson', LESSON, `Balancer vs direct: sessions-in-redis solution, GET /me logged in, 1 instance, ${LESSON.connections} connections`, { ratio: false, latency: false });
  rows.push('Memory: VmRSS of the supervisor and every descendant, 3 instances of the sessions-in-redis solution up');
  for (const b of BACKENDS) {
    rows.push([`  redis: ${b}: total`, `memory.${b}.totalMb`, 'MB', 0]);
    rows.push(['    supervisor / 3 instances / redis', `memory.${b}.supervisorMb`, 'MB', 0]);
    rows.push(['', `memory.${b}.instancesMb`, 'MB', 0]);
    rows.push(['', `memory.${b}.redisMb`, 'MB', 0]);
  }
  rows.push(['  baseline: one bare node HTTP server', 'baseline.bareNodeRssMb', 'MB', 0]);

  const fmt = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const lines: string[][] = [['figure', 'median', 'min', 'max', 'unit', 'aim', '']];
  for (const row of rows) {
    if (typeof row === 'string') {
      lines.push([row]);
      continue;
    }
    const [label, key, unit, digits, aim] = row;
    const s = figures[key];
    if (!s) continue;
    const prev = lines.at(-1)!;
    if (label === '' && prev.length > 1) {
      // a further value of the previous row: "p50 / p99", "supervisor / instances / redis"
      prev[1] += ` / ${fmt(s.median, digits)}`;
      prev[2] += ` / ${fmt(s.min, digits)}`;
      prev[3] += ` / ${fmt(s.max, digits)}`;
      continue;
    }
    lines.push([label, fmt(s.median, digits), fmt(s.min, digits), fmt(s.max, digits), unit, aim?.text ?? '', aim ? (aim.ok(s.median) ? 'ok' : 'MISSED') : '']);
  }
  const widths = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...lines.filter((l) => l.length > 1).map((l) => (l[i] ?? '').length)));
  console.log('');
  for (const line of lines) {
    if (line.length === 1) console.log(`\n${line[0]}`);
    else console.log(line.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : i < 6 ? cell.padStart(widths[i]!) : cell)).join('  ').trimEnd());
  }
}

try {
  await main();
} finally {
  await destroyAll();
}
