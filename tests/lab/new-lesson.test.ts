/**
 * `npm run new-lesson`: the folder it makes is a lesson by every rule of the course, numbered after the last one,
 * and grades as CI grades the course (starter fails, solution passes, each variant as its note says), on a copy of
 * the course so the real one stays untouched. The site build of a scaffolded lesson is in tests/e2e.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LESSONS_DIR, lessonPlaces, loadLesson, loadVariants } from '../../playground/course/lessons.ts';
import { gradeLesson } from '../support/grade-lesson.ts';
import { catalogueProblems, completenessProblems } from '../support/lesson-rules.ts';

const run = promisify(execFile);
const NEW_LESSON = new URL('../../scripts/new-lesson.ts', import.meta.url).pathname;

let lessonsDir: string;
beforeAll(async () => {
  lessonsDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'new-lesson-')), 'lessons');
  await fs.cp(LESSONS_DIR, lessonsDir, { recursive: true });
});
afterAll(() => fs.rm(path.dirname(lessonsDir), { recursive: true, force: true }));

const scaffold = (...args: string[]) => run(process.execPath, [NEW_LESSON, ...args, '--lessons-dir', lessonsDir]);
const failure = (...args: string[]) => scaffold(...args).then(
  () => ({ code: 0, stderr: '' }),
  (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
);

describe('npm run new-lesson', () => {
  it('makes a complete lesson with the next free number that grades like every lesson of the course, on both Redis backends', { timeout: 300_000 }, async () => {
    const before = await lessonPlaces(lessonsDir);
    const next = Math.max(...before.map((p) => p.order)) + 1;
    const { stdout } = await scaffold('shared-visits', '--title', "Shared visits: the learner's total");
    const folder = `${String(next).padStart(2, '0')}-shared-visits`;
    expect(stdout).toContain(folder);
    expect(stdout).toContain('npm run check -- shared-visits --solution');

    const lesson = await loadLesson('shared-visits', lessonsDir);
    expect(lesson.folder).toBe(folder);
    expect(lesson.meta.title).toBe("Shared visits: the learner's total");
    expect(await completenessProblems(lesson)).toEqual([]);
    const variants = await loadVariants(lesson);
    expect(await catalogueProblems(lesson, variants)).toEqual([]);
    const [onServer, onJs] = await Promise.all([gradeLesson(lesson, variants, 'redis-server'), gradeLesson(lesson, variants, 'js')]);
    expect(onServer).toEqual([]);
    expect(onJs).toEqual([]);
  });

  it('refuses a slug that is taken or not a slug, and says why, writing nothing', async () => {
    const before = await fs.readdir(lessonsDir);
    const taken = await failure('map-trap');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already a lesson "map-trap": src\/lessons\/02-map-trap/);
    const bad = await failure('Shared_Visits');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"Shared_Visits" is not a lesson slug/);
    const none = await failure();
    expect(none.stderr).toMatch(/^usage: npm run new-lesson -- <slug>/);
    expect(await fs.readdir(lessonsDir)).toEqual(before);
  });
});
