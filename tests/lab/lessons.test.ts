import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lessonFolders, loadLesson, loadVariants, type Lesson } from '../../playground/course/lessons.ts';
import { gradeLesson } from '../support/grade-lesson.ts';
import { catalogueProblems } from '../support/lesson-rules.ts';

const run = promisify(execFile);
const CHECK = new URL('../../scripts/check.ts', import.meta.url).pathname;

interface CheckResult {
  name: string;
  status: string;
  seed?: number;
}

const lessons = await Promise.all((await lessonFolders()).map((folder) => loadLesson(folder)));
const catalogue = new Map(await Promise.all(lessons.map(async (lesson) => [lesson.slug, await loadVariants(lesson)] as const)));

describe('every lesson has a catalogue of variants', () => {
  it.each(lessons)('$slug: at least three wrong variants and one correct one, each naming real checks', async (lesson) => {
    expect(await catalogueProblems(lesson, catalogue.get(lesson.slug) ?? [])).toEqual([]);
  });
});

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
      expect(await gradeLesson(lesson, catalogue.get(lesson.slug) ?? [], redis)).toEqual([]);
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
