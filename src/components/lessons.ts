/**
 * Build-time helpers for lesson pages: ordering, slugs, prev/next and the lab files that the
 * playground receives. Runs only in Astro's build (node:fs), never in the browser.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getCollection } from 'astro:content';
import type { LessonClientData } from '../../playground/client/types.ts';
import { loadLesson } from '../../playground/server/lessons.ts';
import type { LessonMeta } from '../lessons/schema.ts';

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

const FOLDER = /^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)$/;
const LESSONS_DIR = join(process.cwd(), 'src', 'lessons');

/** Splits a lesson folder name into its order and slug, or throws a message naming the folder. */
export function parseLessonFolder(id: string): { order: number; slug: string } {
  const match = FOLDER.exec(id);
  if (!match) {
    throw new Error(
      `Lesson folder "src/lessons/${id}" must be named <number>-<slug>, e.g. "02-map-trap" (lowercase letters, digits and dashes).`,
    );
  }
  return { order: Number(match[1]), slug: match[2]! };
}

/** All lessons in course order. Throws if two folders share a number or a slug. */
export async function getLessons(): Promise<Lesson[]> {
  const entries: LessonEntry[] = await getCollection('lessons');
  const lessons: Lesson[] = entries
    .map((entry) => {
      const { order, slug } = parseLessonFolder(entry.id);
      return { id: entry.id, order, slug, href: `/lessons/${slug}/`, entry };
    })
    .sort((a, b) => a.order - b.order);
  for (let i = 1; i < lessons.length; i++) {
    const [a, b] = [lessons[i - 1]!, lessons[i]!];
    if (a.order === b.order) throw new Error(`Lessons "src/lessons/${a.id}" and "src/lessons/${b.id}" share the number ${a.order}.`);
  }
  const slugs = new Map<string, string>();
  for (const l of lessons) {
    const other = slugs.get(l.slug);
    if (other) throw new Error(`Lessons "src/lessons/${other}" and "src/lessons/${l.id}" share the slug "${l.slug}".`);
    slugs.set(l.slug, l.id);
  }
  return lessons;
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
