import { defineCollection } from 'astro:content';
import { lessonSchema } from '../playground/protocol/lesson-schema.ts';
import { lessonLoader } from './lib/lesson-collection.ts';

/**
 * One entry per lesson folder (src/lessons/<nn-slug>/index.md), loaded by the course's lesson loader; the entry
 * id is the folder name, e.g. "02-map-trap". The schema only gives the entries their type: the loader has
 * already checked the frontmatter against it.
 */
const lessons = defineCollection({
  loader: lessonLoader(),
  schema: lessonSchema,
});

export const collections = { lessons };
