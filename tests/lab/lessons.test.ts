import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startCommand } from '../../playground/runtime/start-command.ts';
import { LabProcess } from '../../playground/server/lab-process.ts';
import { lessonFolders, loadLesson, loadVariants, slugOf, type LabFile } from '../../playground/server/lessons.ts';

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
});

interface CheckEvent { name: string; status: string; message: string | null }

/**
 * Grade a lesson's variants one after another in one lab (the real supervisor, balancer and Redis), replacing the
 * app's files between them: the check command restarts every instance on the new files and empties Redis first.
 * Starting a lab per variant would spend most of the time on start-up.
 */
async function gradeVariants(lesson: (typeof lessons)[number], redis: string): Promise<string[]> {
  const mine = variants.filter((v) => v.slug === lesson.slug);
  const lab = await LabProcess.create({ files: lesson.solution, checksSource: await fs.readFile(lesson.checksFile, 'utf8'), redis });
  const problems: string[] = [];
  try {
    await lab.send(startCommand(lesson.meta.lab));
    for (const variant of mine) {
      await replaceFiles(lab, variant.files);
      const results: CheckEvent[] = [];
      const collect = (event: { type: string }) => { if (event.type === 'check') results.push(event as unknown as CheckEvent); };
      lab.on('event', collect);
      try {
        await lab.send({ type: 'check', ...(variant.kind === 'wrong' ? { only: variant.catches } : {}) });
      } catch (error) {
        problems.push(`${variant.name}: the grading itself failed: ${(error as Error).message}`);
        continue;
      } finally {
        lab.off('event', collect);
      }
      if (variant.kind === 'correct') {
        for (const r of results.filter((r) => r.status !== 'pass')) problems.push(`${variant.name} (correct: ${variant.note}) failed "${r.name}": ${r.message}`);
        if (results.length === 0) problems.push(`${variant.name}: no check ran`);
      } else {
        if (results.map((r) => r.name).sort().join('\n') !== [...variant.catches].sort().join('\n')) problems.push(`${variant.name}: ran ${results.map((r) => r.name).join(', ')}, expected ${variant.catches.join(', ')}`);
        for (const r of results) {
          if (r.status !== 'fail') problems.push(`${variant.name} (wrong: ${variant.note}) was not caught by "${r.name}": ${r.status}${r.message ? `, ${r.message}` : ''}`);
          else if (!/observed/i.test(r.message ?? '')) problems.push(`${variant.name}: "${r.name}" failed without saying what it observed: ${r.message}`);
        }
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
  for (const entry of await fs.readdir(app, { recursive: true, withFileTypes: true })) {
    const relative = path.relative(app, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (entry.isFile() && !keep.has(relative)) await fs.rm(path.join(app, relative), { force: true });
  }
  await lab.writeFiles(files);
}

describe.each(['redis-server', 'js'])('lesson variants against %s', { concurrent: true }, (redis) => {
  it.each(slugs)('%s: every correct variant passes every check, every wrong one fails the checks its note names', { timeout: 600_000 }, async (slug) => {
    const lesson = lessons.find((l) => l.slug === slug)!;
    expect(await gradeVariants(lesson, redis)).toEqual([]);
  });
});
