// node bench/check-times.ts [--baseline <git ref>] [--runs N] [--redis redis-server|js] [--files solution|starter] [lesson…]
// How long `npm run check` takes per lesson: the median (min–max) of N gradings, for this tree and, with
// --baseline, for another commit checked out next to it, the two alternating lesson by lesson so that both see the
// same machine load. Prints a table and writes bench/results/check-times-<time>.json.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { lessonFolders, slugOf } from '../playground/course/lessons.ts';
import { round, summarize, type Summary } from './lib/stats.ts';
import { checkout } from './lib/worktree.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    baseline: { type: 'string' },
    runs: { type: 'string', default: '3' },
    redis: { type: 'string', default: 'redis-server' },
    files: { type: 'string', default: 'solution' },
  },
});
const runs = Number(values.runs);
if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive whole number, got ${values.runs}`);
const slugs = positionals.length ? positionals : (await lessonFolders()).map(slugOf);

interface Grading {
  ms: number;
  status: string;
}

/** One grading of `slug` with the tree at `root`, timed as a whole process. */
async function grade(root: string, slug: string): Promise<Grading> {
  const args = [path.join(root, 'scripts/check.ts'), slug, '--json', '--redis', String(values.redis)];
  if (values.files === 'solution') args.push('--solution');
  const started = performance.now();
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, { cwd: root, timeout: 300_000 }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? '{}';
  }
  const ms = performance.now() - started;
  const status = (JSON.parse(stdout || '{}') as { status?: string }).status ?? 'error';
  return { ms, status };
}

const trees: { label: string; root: string }[] = [{ label: 'this tree', root: ROOT }];
if (values.baseline) trees.push({ label: `baseline ${values.baseline}`, root: await checkout(values.baseline, 'check-times-') });

const load = () => os.loadavg().map((l) => round(l, 2));
const loadBefore = load();
const results: Record<string, Record<string, { summary: Summary; statuses: string[] }>> = {};
for (const slug of slugs) {
  results[slug] = {};
  const times: Record<string, number[]> = {};
  const statuses: Record<string, string[]> = {};
  for (let i = 0; i < runs; i++) {
    for (const tree of trees) {
      const { ms, status } = await grade(tree.root, slug);
      (times[tree.label] ??= []).push(ms);
      (statuses[tree.label] ??= []).push(status);
    }
  }
  for (const tree of trees) results[slug][tree.label] = { summary: summarize(times[tree.label]!), statuses: statuses[tree.label]! };
  const cells = trees.map((tree) => {
    const { summary, statuses: s } = results[slug]![tree.label]!;
    return `${tree.label}: ${(summary.median / 1000).toFixed(1)} s (${(summary.min / 1000).toFixed(1)}–${(summary.max / 1000).toFixed(1)}) ${[...new Set(s)].join('/')}`;
  });
  const [mine, base] = trees.map((tree) => results[slug]![tree.label]!.summary.median);
  const delta = base !== undefined && mine !== undefined ? `  Δ ${((mine - base) / 1000 >= 0 ? '+' : '') + ((mine - base) / 1000).toFixed(1)} s` : '';
  console.log(`${slug.padEnd(20)} ${cells.join('   ')}${delta}`);
}

const file = path.join(ROOT, 'bench/results', `check-times-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify({ settings: values, slugs, runs, load: { before: loadBefore, after: load() }, results }, null, 2));
console.log(`\n${runs} gradings per lesson and tree, ${values.files} files on ${values.redis}; load ${loadBefore.join(' ')} → ${load().join(' ')}. Raw: ${path.relative(ROOT, file)}`);
