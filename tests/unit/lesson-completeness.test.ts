import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChecks } from '../../playground/lab/grader.js';
import { lessonFolders, loadLesson } from '../../playground/server/lessons.ts';

// A lesson is only a lesson with prose, hints, a starter, a solution and checks. This fails the build otherwise.
const folders = await lessonFolders();

describe.each(folders)('lesson %s is complete', (folder) => {
  it('has prose that teaches (not a stub)', async () => {
    const lesson = await loadLesson(folder);
    const body = fs.readFileSync(path.join(lesson.dir, 'index.md'), 'utf8').replace(/^---[\s\S]*?\n---/, '');
    const words = body.replace(/```[\s\S]*?```/g, '').split(/\s+/).filter(Boolean).length;
    expect(words, `${folder}/index.md has ${words} words of prose`).toBeGreaterThanOrEqual(150);
    expect(body).not.toMatch(/prose to come|TODO|lorem ipsum/i);
  });

  it('has two or three hints, from a nudge to almost the answer', async () => {
    const { meta } = await loadLesson(folder);
    expect(meta.hints.length).toBeGreaterThanOrEqual(2);
    expect(meta.hints.length).toBeLessThanOrEqual(3);
  });

  it('has starter and solution files with the entry point, and they differ', async () => {
    const lesson = await loadLesson(folder);
    for (const files of [lesson.starter, lesson.solution]) {
      expect(files.map((f) => f.path)).toContain(lesson.meta.lab.entry);
    }
    const starter = lesson.starter.find((f) => f.path === lesson.meta.lab.entry)?.content;
    const solution = lesson.solution.find((f) => f.path === lesson.meta.lab.entry)?.content;
    expect(solution).not.toBe(starter);
    for (const readonly of lesson.meta.lab.readonly) expect(lesson.starter.map((f) => f.path)).toContain(readonly);
  });

  it('has checks that load', async () => {
    const lesson = await loadLesson(folder);
    const checks = await loadChecks(lesson.checksFile);
    expect(checks.length).toBeGreaterThan(0);
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length);
  });
});
