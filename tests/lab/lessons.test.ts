import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lessonFolders, loadLesson, loadVariants, slugOf } from '../../playground/server/lessons.ts';

const run = promisify(execFile);
const CHECK = new URL('../../scripts/check.ts', import.meta.url).pathname;

interface Report {
  status: string;
  tests: { name: string; status: string; message: string | null }[];
}

/** Grade through the real CLI contract: `npm run check -- <slug> [--solution | --variant v] [--only name]… --json`. */
async function grade(slug: string, files: string[], redis: string): Promise<{ code: number; report: Report }> {
  const args = [CHECK, slug, '--json', '--redis', redis, ...files];
  try {
    const { stdout } = await run(process.execPath, args, { timeout: 150_000 });
    return { code: 0, report: JSON.parse(stdout) as Report };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, report: JSON.parse(failed.stdout) as Report };
  }
}

const lessons = await Promise.all((await lessonFolders()).map((folder) => loadLesson(folder)));
const variants = (await Promise.all(lessons.map(async (lesson) => (await loadVariants(lesson)).map((v) => ({ slug: lesson.slug, ...v }))))).flat();
const wrong = variants.filter((v) => v.kind === 'wrong');
const correct = variants.filter((v) => v.kind === 'correct');
const slugs = lessons.map((l) => slugOf(l.folder));

describe('every lesson has a catalogue of variants', () => {
  it.each(slugs)('%s: at least three wrong variants and one correct one, each naming real checks', async (slug) => {
    const mine = variants.filter((v) => v.slug === slug);
    expect(mine.filter((v) => v.kind === 'wrong').length).toBeGreaterThanOrEqual(3);
    expect(mine.filter((v) => v.kind === 'correct').length).toBeGreaterThanOrEqual(1);
    const { loadChecks } = await import('../../playground/lab/grader.js');
    const names = (await loadChecks(lessons.find((l) => l.slug === slug)!.checksFile)).map((c) => c.name);
    for (const variant of mine) for (const name of variant.catches) expect(names, `${slug}/${variant.name} catches "${name}"`).toContain(name);
  });
});

// Gradings mostly wait on timers and sockets, so two at a time halve the wall time without crowding 2 cores.
describe.each(['redis-server', 'js'])('every lesson against %s', { concurrent: true }, (redis) => {
  it.each(slugs)('%s: the solution passes every check', { timeout: 160_000 }, async (slug) => {
    const { code, report } = await grade(slug, ['--solution'], redis);
    const failures = report.tests.filter((t) => t.status !== 'pass').map((t) => `${t.name}: ${t.message}`);
    expect(failures).toEqual([]);
    expect(report.status).toBe('pass');
    expect(code).toBe(0);
  });

  it.each(slugs)('%s: the starter fails at least one check, saying what was observed', { timeout: 160_000 }, async (slug) => {
    const { code, report } = await grade(slug, [], redis);
    expect(code).toBe(1);
    expect(report.status).toBe('fail');
    const failed = report.tests.filter((t) => t.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const test of failed) expect(test.message).toMatch(/observed/i);
  });

  it.each(correct.map((v) => [`${v.slug}/${v.name}`, v] as const))('%s (correct: passes every check)', { timeout: 160_000 }, async (_label, variant) => {
    const { code, report } = await grade(variant.slug, ['--variant', variant.name], redis);
    const failures = report.tests.filter((t) => t.status !== 'pass').map((t) => `${t.name}: ${t.message}`);
    expect(failures, variant.note).toEqual([]);
    expect(code).toBe(0);
  });

  it.each(wrong.map((v) => [`${v.slug}/${v.name}`, v] as const))('%s (wrong: the checks its note names fail it)', { timeout: 160_000 }, async (_label, variant) => {
    const { code, report } = await grade(variant.slug, ['--variant', variant.name, ...variant.catches.flatMap((name) => ['--only', name])], redis);
    expect(report.tests.map((t) => t.name)).toEqual(variant.catches);
    for (const test of report.tests) {
      expect(test.status, `${variant.note} — "${test.name}" should fail it: ${test.message}`).toBe('fail');
      expect(test.message).toMatch(/observed/i);
    }
    expect(code).toBe(1);
  });
});
