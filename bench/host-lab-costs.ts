// node bench/host-lab-costs.ts [--baseline <git ref>] [--runs N] [--labs N]
// What confining a lab costs on a real lab host (`scripts/start.ts`), for this tree and, with --baseline, another
// commit checked out beside it, the two alternating run by run so both see the same machine load:
//   open      `{op:'open'}` → `opened` (folder, slot, cgroups, disk, supervisor spawned)
//   start     `start` → its reply (balancer, three instances and Redis up)
//   write     40 files in 8 folders, then a `status` command → its reply (writes are handled in order)
//   watchdog  the host process's CPU time while --labs labs sit idle for 10 s (the watchdog's sampling)
// Prints medians (min–max) and writes bench/results/host-lab-costs-<time>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { loadLesson } from '../playground/course/lessons.ts';
import { spawnStart, type StartedServer } from '../scripts/lib/spawn-start.ts';
import { round, summarize, type Summary } from './lib/stats.ts';
import { checkout } from './lib/worktree.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { baseline: { type: 'string' }, runs: { type: 'string', default: '5' }, labs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const idleLabs = Number(values.labs);
if (!(Number.isInteger(runs) && runs > 0 && Number.isInteger(idleLabs) && idleLabs > 0)) throw new Error('--runs and --labs take positive whole numbers');

const lesson = await loadLesson('sessions-in-redis');
const site = fs.mkdtempSync(path.join(os.tmpdir(), 'host-costs-site-'));
fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>bench</title>');

type Message = { op: string; [key: string]: unknown };

/** One tab's socket: `until` resolves with the first message matching, timed from the call. */
function tab(url: string) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/lab`, { headers: { origin: url } });
  const waiting: { match: (m: Message) => boolean; done: (m: Message) => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Message;
    if (message.op === 'closed') throw new Error(`the host closed the lab: ${String(message.reason)}`);
    for (const entry of [...waiting]) if (entry.match(message)) waiting.splice(waiting.indexOf(entry), 1) && entry.done(message);
  });
  const opened = new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  const until = (match: (m: Message) => boolean) =>
    new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within 60 s (${match.toString().slice(0, 80)})`)), 60_000);
      waiting.push({ match, done: (m) => (clearTimeout(timer), resolve(m)) });
    });
  const send = (message: unknown) => ws.send(JSON.stringify(message));
  return { ws, opened, until, send };
}

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const cpuSeconds = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

interface Round {
  open: number;
  start: number;
  write: number;
  watchdog: number;
}

async function measure(host: StartedServer): Promise<Round> {
  const first = tab(host.url);
  await first.opened;
  const open = await timed(async () => {
    first.send({ op: 'open', lesson: lesson.slug, files: lesson.solution });
    const reply = await first.until((m) => m.op === 'opened' || m.op === 'error');
    if (reply.op !== 'opened') throw new Error(String(reply.message));
  });
  const start = await timed(async () => {
    first.send({ op: 'command', id: 1, command: { type: 'start' } });
    await first.until((m) => m.op === 'reply' && m.id === 1);
  });
  const files = Array.from({ length: 40 }, (_, i) => ({ path: `bench/f${i % 8}/part${i}.js`, content: `export const part = ${i};\n` }));
  const write = await timed(async () => {
    first.send({ op: 'write', files });
    first.send({ op: 'command', id: 2, command: { type: 'status' } });
    await first.until((m) => m.op === 'reply' && m.id === 2);
  });
  const others = Array.from({ length: idleLabs - 1 }, () => tab(host.url));
  for (const other of others) {
    await other.opened;
    other.send({ op: 'open', lesson: lesson.slug, files: lesson.solution });
    await other.until((m) => m.op === 'opened');
  }
  const before = cpuSeconds(host.pid);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const watchdog = (cpuSeconds(host.pid) - before) * 1000;
  for (const socket of [first, ...others]) socket.ws.close();
  return { open, start, write, watchdog };
}

const trees = [{ label: 'this tree', root: ROOT }];
if (values.baseline) trees.push({ label: `baseline ${values.baseline}`, root: await checkout(values.baseline, 'host-costs-') });
const rounds: Record<string, Round[]> = {};
const loadBefore = os.loadavg().map((l) => round(l, 2));
for (let i = 0; i < runs; i++) {
  for (const tree of trees) {
    const labRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'host-costs-root-'));
    const host = await spawnStart({ root: tree.root, env: { ...process.env, SITE_DIR: site, LAB_ROOT: labRoot, MAX_LABS: String(idleLabs + 2) } });
    try {
      (rounds[tree.label] ??= []).push(await measure(host));
    } finally {
      await host.stop();
      fs.rmSync(labRoot, { recursive: true, force: true });
    }
  }
}

const figures: Record<string, Record<keyof Round, Summary>> = {};
console.log(`\n${'figure (ms)'.padEnd(34)}${trees.map((t) => t.label.padEnd(26)).join('')}`);
for (const key of ['open', 'start', 'write', 'watchdog'] as const) {
  const label = key === 'watchdog' ? `host CPU, ${idleLabs} idle labs, 10 s` : key;
  const cells = trees.map((tree) => {
    const summary = summarize(rounds[tree.label]!.map((r) => r[key]));
    (figures[tree.label] ??= {} as Record<keyof Round, Summary>)[key] = summary;
    return `${round(summary.median)} (${round(summary.min)}–${round(summary.max)})`.padEnd(26);
  });
  console.log(`${label.padEnd(34)}${cells.join('')}`);
}
const loadAfter = os.loadavg().map((l) => round(l, 2));
console.log(`\nload average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; ${runs} runs per tree, alternating`);
const file = path.join(ROOT, 'bench', 'results', `host-lab-costs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify({ settings: values, load: { before: loadBefore, after: loadAfter }, rounds, figures }, null, 2));
fs.rmSync(site, { recursive: true, force: true });
process.exit(0);
