import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lessonFolders, loadLesson } from '../../playground/course/lessons.ts';
import { GOALS, groupLessons, parseCourse } from '../../src/components/course-map/course-outline.ts';
import { courseProgress, progressWords } from '../../src/components/course-map/course-progress.ts';
import { aboutDuration, shortMinutes, spokenDuration } from '../../src/components/course-map/duration.ts';

// The course map's data: the course file (goals and parts) checked against the real lessons, the progress words and
// the choice of the next lesson, and how times are written.
const COURSE_FILE = join(import.meta.dirname, '..', '..', 'src', 'lessons', 'course.yml');
const goals = ['Run a cluster.', 'Find per-process state.', 'Keep sessions in Redis.', 'Count in Redis.'];
const yaml = (parts: string) => `goals:\n${goals.map((g) => `  - ${g}`).join('\n')}\nparts:\n${parts}`;
const lessons = ['one', 'two', 'three', 'four'].map((slug, i) => ({ slug, minutes: 10 * (i + 1) }));

describe('the course file', () => {
  it('is valid and puts every lesson of the course in exactly one part, in order', async () => {
    const course = parseCourse(readFileSync(COURSE_FILE, 'utf8'), COURSE_FILE);
    expect(course.goals.length).toBeGreaterThanOrEqual(GOALS.min);
    expect(course.goals.length).toBeLessThanOrEqual(GOALS.max);
    const real = await Promise.all((await lessonFolders()).map((folder) => loadLesson(folder)));
    const parts = groupLessons(course, real, COURSE_FILE);
    expect(parts.flatMap((p) => p.lessons.map((l) => l.slug))).toEqual(real.map((l) => l.slug));
    expect(parts.every((p) => p.lessons.length > 0)).toBe(true);
  });

  it('splits lessons at each part\'s first lesson; a lesson added at the end joins the last part', () => {
    const course = parseCourse(yaml('  - { title: A, summary: First., from: one }\n  - { title: B, summary: Rest., from: three }\n'), 'course.yml');
    const parts = groupLessons(course, lessons, 'course.yml');
    expect(parts.map((p) => [p.title, p.lessons.map((l) => l.slug)])).toEqual([['A', ['one', 'two']], ['B', ['three', 'four']]]);
  });

  it('names the file and the key of a mistake', () => {
    expect(() => parseCourse('goals: [a]\nparts: []\n', 'src/lessons/course.yml')).toThrow(/src\/lessons\/course\.yml: invalid course file[\s\S]*goals/);
    expect(() => parseCourse(yaml('  - { title: A, summary: S, from: one, colour: red }\n'), 'c.yml')).toThrow(/parts\.0[\s\S]*colour/);
    expect(() => parseCourse('goals: [unclosed', 'c.yml')).toThrow(/c\.yml: not YAML/);
  });

  it('refuses parts that name no lesson, skip the first lesson or go backwards', () => {
    const group = (parts: string) => () => groupLessons(parseCourse(yaml(parts), 'c.yml'), lessons, 'c.yml');
    expect(group('  - { title: A, summary: S, from: nine }\n')).toThrow(/parts\.0\.from: there is no lesson "nine"; the lessons are one, two, three, four/);
    expect(group('  - { title: A, summary: S, from: two }\n')).toThrow(/parts\.0\.from: the first part must start at the first lesson, "one"/);
    expect(group('  - { title: A, summary: S, from: one }\n  - { title: B, summary: S, from: three }\n  - { title: C, summary: S, from: two }\n')).toThrow(
      /parts\.2\.from: "two" must come after "three"/,
    );
    expect(group('  - { title: A, summary: S, from: one }\n  - { title: B, summary: S, from: one }\n')).toThrow(/parts\.1\.from/);
  });
});

describe('course progress', () => {
  const passed = { state: 'passed' } as const;
  const started = { state: 'started' } as const;

  it('with nothing saved: none passed, the whole course left, start at the first lesson, and says nothing is saved', () => {
    const p = courseProgress(lessons, {});
    expect(p).toMatchObject({ passed: 0, total: 4, minutesLeft: 100, saved: false, next: 0, kind: 'start' });
    expect(progressWords(p)).toMatchObject({ count: '0 of 4 lessons passed', left: 'Nothing saved in this browser yet' });
  });

  it('ignores progress of lessons that are not in the course', () => {
    expect(courseProgress(lessons, { gone: passed })).toMatchObject({ passed: 0, saved: false, kind: 'start' });
  });

  it('continues a started lesson, and moves on after the furthest one passed', () => {
    expect(courseProgress(lessons, { one: started })).toMatchObject({ next: 0, kind: 'continue', saved: true });
    const afterTwo = courseProgress(lessons, { one: passed, two: passed });
    expect(afterTwo).toMatchObject({ passed: 2, minutesLeft: 70, next: 2, kind: 'next' });
    expect(progressWords(afterTwo)).toEqual({ count: '2 of 4 lessons passed', left: 'About 1 h 10 min left', spokenLeft: 'About 1 hour 10 minutes left' });
    // Skipped ahead: the lesson after the furthest pass, not the gap behind it.
    expect(courseProgress(lessons, { three: passed })).toMatchObject({ next: 3, kind: 'next' });
    // Nothing left after the furthest pass: back to the first gap.
    expect(courseProgress(lessons, { two: started, four: passed })).toMatchObject({ next: 0, kind: 'next' });
    expect(courseProgress(lessons, { one: passed, two: started, four: passed })).toMatchObject({ next: 1, kind: 'continue' });
  });

  it('says so when every lesson is passed', () => {
    const p = courseProgress(lessons, { one: passed, two: passed, three: passed, four: passed });
    expect(p).toMatchObject({ passed: 4, minutesLeft: 0, kind: 'done' });
    expect(progressWords(p)).toMatchObject({ count: 'All 4 lessons passed', left: 'Course complete' });
  });
});

describe('times in words', () => {
  it('writes one lesson short and a sum in hours and minutes, spelt out for screen readers', () => {
    expect(shortMinutes(15)).toBe('~15 min');
    expect(aboutDuration(45)).toBe('about 45 min');
    expect(aboutDuration(60)).toBe('about 1 h');
    expect(aboutDuration(130)).toBe('about 2 h 10 min');
    expect(spokenDuration(130)).toBe('about 2 hours 10 minutes');
    expect(spokenDuration(61)).toBe('about 1 hour 1 minute');
    expect(spokenDuration(120)).toBe('about 2 hours');
  });
});
