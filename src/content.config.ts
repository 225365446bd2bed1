import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { lessonSchema } from './lessons/schema.ts';

/**
 * One entry per lesson folder: src/lessons/<nn-slug>/index.md. Only index.md is loaded; the
 * starter/ and solution/ folders next to it hold lab files (and possibly their own .md files)
 * that must never become lessons. The entry id is the folder name, e.g. "02-map-trap".
 */
const lessons = defineCollection({
  loader: glob({
    pattern: '*/index.md',
    base: './src/lessons',
    generateId: ({ entry }) => entry.split('/')[0] ?? entry,
  }),
  schema: lessonSchema,
});

export const collections = { lessons };
