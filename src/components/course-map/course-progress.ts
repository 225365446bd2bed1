/**
 * The course map's progress, in the browser: how many lessons are passed, how much time is left, and which lesson
 * to take next, from the progress this browser saved (playground/client/progress.ts). The page is built showing
 * the state of a browser that saved nothing; this only rewrites text and attributes inside boxes whose size the
 * page already reserves, so the page does not shift when it runs (only the start link's title may wrap
 * differently on the narrowest phones).
 */
import type { ProgressEntry } from '../../../playground/client/progress.ts';
import { aboutDuration, spokenDuration } from './duration.ts';

export interface MapLesson {
  slug: string;
  minutes: number;
}

/** start: nothing passed yet; continue: the lesson was opened; next: the one after what was passed; done: all passed. */
export type NextKind = 'start' | 'continue' | 'next' | 'done';

export const NEXT_LABEL: Record<NextKind, string> = {
  start: 'Start here',
  continue: 'Continue',
  next: 'Up next',
  done: 'Revisit',
};

export interface CourseProgress {
  passed: number;
  total: number;
  minutesLeft: number;
  /** Whether this browser holds any progress for the course's lessons. */
  saved: boolean;
  /** Index of the lesson to take next (the first lesson again when all are passed). */
  next: number;
  kind: NextKind;
}

/**
 * The next lesson is the first one not passed after the furthest lesson passed, so skipping ahead is followed;
 * when everything after it is passed too, the first gap left behind. Merely opening a lesson moves nothing.
 */
export function courseProgress<L extends MapLesson>(lessons: readonly L[], entries: Record<string, ProgressEntry>): CourseProgress {
  const isPassed = lessons.map((l) => entries[l.slug]?.state === 'passed');
  const passed = isPassed.filter(Boolean).length;
  const minutesLeft = lessons.reduce((sum, l, i) => (isPassed[i] ? sum : sum + l.minutes), 0);
  const saved = lessons.some((l) => entries[l.slug] !== undefined);
  const base = { passed, total: lessons.length, minutesLeft, saved };
  if (passed === lessons.length) return { ...base, next: 0, kind: 'done' };
  const furthest = isPassed.lastIndexOf(true);
  const after = isPassed.findIndex((p, i) => !p && i > furthest);
  const next = after >= 0 ? after : isPassed.indexOf(false);
  const kind: NextKind = entries[lessons[next]!.slug]?.state === 'started' ? 'continue' : passed === 0 ? 'start' : 'next';
  return { ...base, next, kind };
}

/** Nothing saved is said as such, so an empty or unreadable store never pretends to be a record. */
export const NOTHING_SAVED = 'Nothing saved in this browser yet';

/** "2 of 9 lessons passed", and what is left, for the eye and spelt out. */
export function progressWords(p: CourseProgress): { count: string; left: string; spokenLeft: string } {
  if (p.passed === p.total) return { count: `All ${p.total} lessons passed`, left: 'Course complete', spokenLeft: 'Course complete' };
  const count = `${p.passed} of ${p.total} lessons passed`;
  if (!p.saved) return { count, left: NOTHING_SAVED, spokenLeft: NOTHING_SAVED };
  return { count, left: `${capitalize(aboutDuration(p.minutesLeft))} left`, spokenLeft: `${capitalize(spokenDuration(p.minutesLeft))} left` };
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function setText(root: ParentNode, selector: string, text: string): void {
  for (const el of root.querySelectorAll(selector)) el.textContent = text;
}

/**
 * Paints the map from the saved progress. Markup contract (CourseProgress.astro, CoursePath.astro, StartLink.astro):
 * lessons are `[data-course-lesson]` with data-slug, data-minutes, data-title, data-order and data-href; the counts
 * go into `[data-progress-count]`, `[data-progress-left]` (its spelt-out twin `[data-progress-left-spoken]`),
 * one bar segment per lesson `[data-segment-for]`, and the start link `[data-next-link]`.
 */
export function paintCourseProgress(entries: Record<string, ProgressEntry>, root: ParentNode = document): void {
  const items = [...root.querySelectorAll<HTMLElement>('[data-course-lesson]')];
  if (items.length === 0) return;
  const lessons = items.map((el) => ({
    el,
    slug: el.dataset.slug ?? '',
    minutes: Number(el.dataset.minutes),
    title: el.dataset.title ?? '',
    order: el.dataset.order ?? '',
    href: el.dataset.href ?? '',
  }));
  const progress = courseProgress(lessons, entries);
  const words = progressWords(progress);
  setText(root, '[data-progress-count]', words.count);
  setText(root, '[data-progress-left]', words.left);
  setText(root, '[data-progress-left-spoken]', words.spokenLeft);
  for (const segment of root.querySelectorAll<HTMLElement>('[data-segment-for]')) {
    segment.dataset.state = entries[segment.dataset.segmentFor ?? '']?.state ?? 'none';
  }

  const next = lessons[progress.next]!;
  for (const lesson of lessons) {
    const isNext = lesson === next && progress.kind !== 'done';
    lesson.el.toggleAttribute('data-next', isNext);
    const link = lesson.el.querySelector('[data-lesson-link]');
    if (isNext) link?.setAttribute('aria-current', 'step');
    else link?.removeAttribute('aria-current');
    setText(lesson.el, '[data-next-badge]', isNext ? NEXT_LABEL[progress.kind] : '');
  }
  for (const link of root.querySelectorAll<HTMLAnchorElement>('[data-next-link]')) {
    link.href = next.href;
    setText(link, '[data-next-label]', NEXT_LABEL[progress.kind]);
    setText(link, '[data-next-order]', `Lesson ${next.order}`);
    setText(link, '[data-next-title]', next.title);
  }
}
