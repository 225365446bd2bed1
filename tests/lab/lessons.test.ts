import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lessonFolders, slugOf } from '../../playground/server/lessons.ts';

const run = promisify(execFile);
const CHECK = new URL('../../scripts/check.ts', import.meta.url).pathname;

interface Report {
  status: string;
  tests: { name: string; status: string; message: string | null }[];
}

/** Grade through the real CLI contract: `npm run check -- <slug> [--solution] --json`. */
async function grade(slug: string, solution: boolean, redis: string): Promise<{ code: number; report: Report }> {
  const args = [CHECK, slug, '--json', '--redis', redis, ...(solution ? ['--solution'] : [])];
  try {
    const { stdout } = await run(process.execPath, args, { timeout: 150_000 });
    return { code: 0, report: JSON.parse(stdout) as Report };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, report: JSON.parse(failed.stdout) as Report };
  }
}

const slugs = (await lessonFolders()).map(slugOf);

describe.each(['redis-server', 'js'])('every lesson against %s', (redis) => {
  it.each(slugs)('%s: the solution passes every check', { timeout: 160_000 }, async (slug) => {
    const { code, report } = await grade(slug, true, redis);
    const failures = report.tests.filter((t) => t.status !== 'pass').map((t) => `${t.name}: ${t.message}`);
    expect(failures).toEqual([]);
    expect(report.status).toBe('pass');
    expect(code).toBe(0);
  });

  it.each(slugs)('%s: the starter fails at least one check, saying what was observed', { timeout: 160_000 }, async (slug) => {
    const { code, report } = await grade(slug, false, redis);
    expect(code).toBe(1);
    expect(report.status).toBe('fail');
    const failed = report.tests.filter((t) => t.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const test of failed) expect(test.message).toMatch(/observed/i);
  });
});
