import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadChecks } from '../../playground/lab/grader.js';
import { startCommand } from '../../playground/runtime/start-command.ts';
import { LabProcess } from '../../playground/server/lab-process.ts';
import { lessonFolders, loadLesson, loadVariants, type LabFile, type Lesson, type LessonVariant } from '../../playground/server/lessons.ts';

const run = promisify(execFile);
const CHECK = new URL('../../scripts/check.ts', import.meta.url).pathname;

interface CheckResult {
  name: string;
  status: string;
  message: string | null;
  seed?: number;
}

const lessons = await Promise.all((await lessonFolders()).map((folder) => loadLesson(folder)));
const catalogue = new Map(await Promise.all(lessons.map(async (lesson) => [lesson.slug, await loadVariants(lesson)] as const)));

describe('every lesson has a catalogue of variants', () => {
  it.each(lessons.map((l) => l.slug))('%s: at least three wrong variants and one correct one, each naming real checks', async (slug) => {
    const mine = catalogue.get(slug) ?? [];
    expect(mine.filter((v) => v.kind === 'wrong').length).toBeGreaterThanOrEqual(3);
    expect(mine.filter((v) => v.kind === 'correct').length).toBeGreaterThanOrEqual(1);
    const names = (await loadChecks(lessons.find((l) => l.slug === slug)!.checksFile)).map((c) => c.name);
    for (const variant of mine) for (const name of variant.catches) expect(names, `${slug}/${variant.name} catches "${name}"`).toContain(name);
  });
});

/** What one set of files must do: fail at least one check (the starter), pass all, or fail the named checks. */
type Expectation = { kind: 'starter' } | { kind: 'solution' } | LessonVariant;

function judge(label: string, expectation: Expectation, results: CheckResult[]): string[] {
  const problems: string[] = [];
  if (results.length === 0) return [`${label}: no check ran`];
  if (expectation.kind === 'starter') {
    const failed = results.filter((r) => r.status === 'fail');
    if (failed.length === 0) problems.push(`${label} passed every check; a starter must fail at least one`);
    for (const r of failed) if (!/observed/i.test(r.message ?? '')) problems.push(`${label}: "${r.name}" failed without saying what it observed: ${r.message}`);
  } else if (expectation.kind === 'solution' || expectation.kind === 'correct') {
    const note = expectation.kind === 'correct' ? ` (${expectation.note})` : '';
    for (const r of results.filter((r) => r.status !== 'pass')) problems.push(`${label}${note} failed "${r.name}": ${r.message} [seed ${r.seed}]`);
  } else {
    const ran = results.map((r) => r.name).sort().join(', ');
    if (ran !== [...expectation.catches].sort().join(', ')) problems.push(`${label}: ran ${ran}, expected ${expectation.catches.join(', ')}`);
    for (const r of results) {
      if (r.status !== 'fail') problems.push(`${label} (wrong: ${expectation.note}) was not caught by "${r.name}": ${r.status} [seed ${r.seed}]`);
      else if (!/observed/i.test(r.message ?? '')) problems.push(`${label}: "${r.name}" failed without saying what it observed: ${r.message}`);
      else if (expectation.says && !expectation.says.test(r.message ?? '')) problems.push(`${label}: "${r.name}" failed without naming the cause (${expectation.says}): ${r.message}`);
    }
  }
  return problems;
}

/**
 * Grade the starter, the solution and every variant of a lesson one after another in one lab (the real
 * supervisor, balancer and Redis), replacing the app's files between them: the check command restarts every
 * instance on the new files and empties Redis first. A lab per grading would spend most of the time starting.
 * Wrong variants run only the checks their note names; everything else runs every check.
 */
async function gradeLesson(lesson: Lesson, redis: string): Promise<string[]> {
  const runs: { label: string; files: LabFile[]; expectation: Expectation }[] = [
    { label: 'starter', files: lesson.starter, expectation: { kind: 'starter' } },
    { label: 'solution', files: lesson.solution, expectation: { kind: 'solution' } },
    ...(catalogue.get(lesson.slug) ?? []).map((v) => ({ label: `variants/${v.name}`, files: v.files, expectation: v })),
  ];
  const lab = await LabProcess.create({ files: lesson.starter, checksSource: await fs.readFile(lesson.checksFile, 'utf8'), redis });
  const problems: string[] = [];
  try {
    await lab.send(startCommand(lesson.meta.lab));
    for (const { label, files, expectation } of runs) {
      await replaceFiles(lab, files);
      const results: CheckResult[] = [];
      const collect = (event: { type: string }) => {
        if (event.type === 'check') results.push(event as unknown as CheckResult);
      };
      lab.on('event', collect);
      try {
        await lab.send({ type: 'check', ...(expectation.kind === 'wrong' ? { only: expectation.catches } : {}) });
        problems.push(...judge(label, expectation, results));
      } catch (error) {
        problems.push(`${label}: the grading itself failed: ${(error as Error).message}`);
      } finally {
        lab.off('event', collect);
      }
    }
  } finally {
    await lab.destroy();
  }
  return problems;
}

/** The app folder holds exactly `files` afterwards. */
async function replaceFiles(lab: LabProcess, files: LabFile[]): Promise<void> {
  const app = path.join(lab.dir, 'app');
  const keep = new Set(files.map((f) => f.path));
  // The running instances' own disks (.instances) are the lab's, not the learner's files, and come and go meanwhile.
  const learnerFiles = async (dir: string): Promise<string[]> => {
    const found: string[] = [];
    for (const entry of await fs.readdir(path.join(app, dir), { withFileTypes: true })) {
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (relative === '.instances') continue;
      if (entry.isDirectory()) found.push(...(await learnerFiles(relative)));
      else if (entry.isFile()) found.push(relative);
    }
    return found;
  };
  for (const relative of await learnerFiles('')) if (!keep.has(relative)) await fs.rm(path.join(app, relative), { force: true });
  await lab.writeFiles(files);
}

// The longest gradings first, so that the concurrent slots finish together.
const byCost = [...lessons].sort((a, b) => cost(b) - cost(a));
function cost(lesson: Lesson): number {
  return (catalogue.get(lesson.slug) ?? []).length + (/capstone/.test(lesson.slug) ? 40 : /counters/.test(lesson.slug) ? 10 : 0);
}

// Gradings mostly wait on timers and sockets; three at a time keep 2 cores busy without crowding them.
describe.each(byCost.flatMap((lesson) => ['redis-server', 'js'].map((redis) => ({ lesson, redis }))))(
  '$lesson.slug against $redis',
  { concurrent: true },
  ({ lesson, redis }) => {
    it('the starter fails, the solution and every correct variant pass, every wrong variant fails the checks its note names', { timeout: 900_000 }, async () => {
      expect(await gradeLesson(lesson, redis)).toEqual([]);
    });
  },
);

/** The CLI contract (`npm run check -- <slug> …`), exit codes and JSON, on one lesson. */
describe('npm run check', () => {
  async function cli(args: string[]): Promise<{ code: number; report: { status: string; tests: CheckResult[] } }> {
    try {
      const { stdout } = await run(process.execPath, [CHECK, ...args, '--json'], { timeout: 150_000 });
      return { code: 0, report: JSON.parse(stdout) };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, report: JSON.parse(failed.stdout) };
    }
  }

  it('exits 0 only when every check passes: solution 0, starter 1, a wrong variant 1 on the check it names', { concurrent: true, timeout: 160_000 }, async () => {
    const [solution, starter, wrong] = await Promise.all([
      cli(['map-trap', '--solution']),
      cli(['map-trap']),
      cli(['map-trap', '--variant', 'logout-clears-cookie-only', '--only', 'Logging out ends the session on every instance', '--seed', '7']),
    ]);
    expect(solution.code).toBe(0);
    expect(solution.report.status).toBe('pass');
    expect(starter.code).toBe(1);
    expect(starter.report.tests.some((t) => t.status === 'fail')).toBe(true);
    expect(wrong.code).toBe(1);
    expect(wrong.report.tests.map((t) => [t.name, t.status, t.seed])).toEqual([['Logging out ends the session on every instance', 'fail', 7]]);
  });

  it('refuses an unknown variant or check name with exit 2, listing what exists', { concurrent: true, timeout: 60_000 }, async () => {
    const noVariant = await run(process.execPath, [CHECK, 'map-trap', '--variant', 'nope']).catch((e: { code: number; stderr: string }) => e);
    expect(noVariant).toMatchObject({ code: 2, stderr: expect.stringMatching(/no variant "nope"; it has: .*logout-clears-cookie-only/) });
    const noCheck = await cli(['map-trap', '--only', 'nope']);
    expect(noCheck.code).toBe(2);
    expect(JSON.stringify(noCheck.report)).toMatch(/no check named \\"nope\\"/);
  });
});
