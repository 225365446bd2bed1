/**
 * Build-time helpers for lesson pages: ordering, slugs, prev/next and the lab files that the
 * playground receives. Runs only in Astro's build (node:fs), never in the browser.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getCollection } from 'astro:content';
import type { LessonClientData } from '../../playground/client/types.ts';
import { loadLesson, placeOf } from '../../playground/course/lessons.ts';
import type { LessonMeta } from '../../playground/protocol/lesson-schema.ts';

/** A lesson as the content collection returns it (validated frontmatter in `data`). */
export interface LessonEntry {
  id: string;
  data: LessonMeta;
  body?: string;
  filePath?: string;
}

export interface Lesson {
  /** Folder name, e.g. "02-map-trap". */
  id: string;
  /** Position in the course, from the folder's number prefix. */
  order: number;
  /** URL slug, e.g. "map-trap". */
  slug: string;
  /** Page URL, e.g. "/lessons/map-trap/". */
  href: string;
  entry: LessonEntry;
}

const LESSONS_DIR = join(process.cwd(), 'src', 'lessons');

/** All lessons in course order (the course loader has already checked their folders' names and numbers). */
export async function getLessons(): Promise<Lesson[]> {
  const entries: LessonEntry[] = await getCollection('lessons');
  return entries
    .map((entry) => {
      const { order, slug } = placeOf(entry.id);
      return { id: entry.id, order, slug, href: `/lessons/${slug}/`, entry };
    })
    .sort((a, b) => a.order - b.order);
}

/** The data a lesson page embeds for the playground: the same files and checks the lab host uses. */
export async function lessonClientData(lesson: Lesson): Promise<LessonClientData> {
  const { starter, solution, checksFile } = await loadLesson(lesson.id, LESSONS_DIR);
  return {
    slug: lesson.slug,
    title: lesson.entry.data.title,
    lab: lesson.entry.data.lab,
    starter,
    solution,
    checks: await readFile(checksFile, 'utf8'),
  };
}

/** JSON that is safe inside a <script> element: no "</script>" or "<!--" can close it early. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
