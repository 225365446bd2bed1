/**
 * The course on disk: which folders are lessons, in what order, and what each holds (frontmatter, starter,
 * solution, checks, graded variants). The one lesson loader: the site's build, the lab host, the CLIs and the
 * tests all read lessons through it, so a folder is a lesson by one rule everywhere.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';
import type { LabFile } from '../protocol/lab-file.ts';
import { LESSON_FOLDER, parseLessonFolder } from '../lab/rules.js';
import { lessonSchema, type LessonMeta } from '../protocol/lesson-schema.ts';

export const LESSONS_DIR = fileURLToPath(new URL('../../src/lessons/', import.meta.url));


export interface Lesson {
  slug: string;
  folder: string;
  dir: string;
  order: number;
  meta: LessonMeta;
  /** The lesson's index.md: its path, its whole text and the Markdown after the frontmatter. */
  indexFile: string;
  source: string;
  body: string;
  starter: LabFile[];
  solution: LabFile[];
  checksFile: string;
}

/** A lesson folder's place in the course: "02-map-trap" is lesson 2, at /lessons/map-trap/. */
export interface LessonPlace {
  folder: string;
  order: number;
  slug: string;
}

/** "02-map-trap" → "map-trap" */
export function slugOf(folder: string): string {
  return placeOf(folder).slug;
}

/** Splits a lesson folder name into its order and slug, or throws a message naming the folder and the rule. */
export function placeOf(folder: string): LessonPlace {
  const place = parseLessonFolder(folder);
  if (!place) {
    throw new Error(
      `Lesson folder "src/lessons/${folder}" must be named <number>-<slug>, e.g. "02-map-trap" (lowercase letters, digits and dashes; ${LESSON_FOLDER}).`,
    );
  }
  return { folder, ...place };
}

/**
 * Every lesson folder in course order. Each folder under the lessons directory is a lesson and must follow the
 * folder rule, except those whose name starts with "_" or "." (an author's drafts, as Astro ignores "_" pages);
 * two folders may not share a number or a slug.
 */
export async function lessonPlaces(lessonsDir = LESSONS_DIR): Promise<LessonPlace[]> {
  const entries = await fs.readdir(lessonsDir, { withFileTypes: true });
  const places = entries
    .filter((e) => e.isDirectory() && !/^[._]/.test(e.name))
    .map((e) => placeOf(e.name))
    .sort((a, b) => a.order - b.order);
  for (const [i, place] of places.entries()) {
    const before = places.slice(0, i);
    const sameNumber = before.find((p) => p.order === place.order);
    if (sameNumber) throw new Error(`Lessons "src/lessons/${sameNumber.folder}" and "src/lessons/${place.folder}" share the number ${place.order}.`);
    const sameSlug = before.find((p) => p.slug === place.slug);
    if (sameSlug) throw new Error(`Lessons "src/lessons/${sameSlug.folder}" and "src/lessons/${place.folder}" share the slug "${place.slug}".`);
  }
  return places;
}

export async function lessonFolders(lessonsDir = LESSONS_DIR): Promise<string[]> {
  return (await lessonPlaces(lessonsDir)).map((p) => p.folder);
}

/** The frontmatter block and the Markdown after it. */
export function splitFrontmatter(source: string, file: string): { yaml: string; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(source);
  if (!match) throw new Error(`${file}: no frontmatter (a block between --- lines at the top)`);
  return { yaml: match[1] ?? '', body: source.slice(match[0].length) };
}

/** Parse and validate the frontmatter of a lesson's index.md; errors name the file and the key. */
export function parseFrontmatter(source: string, file: string): LessonMeta {
  let data: unknown;
  try {
    data = loadYaml(splitFrontmatter(source, file).yaml);
  } catch (error) {
    throw new Error(`${file}: the frontmatter is not YAML (${(error as Error).message})`);
  }
  const parsed = lessonSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new Error(`${file}: invalid frontmatter\n${problems}`);
  }
  return parsed.data;
}

/** Names in a lab folder that are never lab files. */
const NOT_LAB_FILES = new Set(['node_modules', '.DS_Store', '.git']);

async function readTree(dir: string, base = dir): Promise<LabFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files: LabFile[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (NOT_LAB_FILES.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await readTree(full, base)));
    else files.push({ path: path.relative(base, full).split(path.sep).join('/'), content: await fs.readFile(full, 'utf8') });
  }
  return files;
}

/**
 * A lesson's graded variant: a plausible wrong solution (which a named check must catch) or a correct one written
 * differently from the reference. It lives in `variants/<name>/`: a `variant.json` and the files that differ from
 * `solution/`, laid over it. Variants are for CI and course authors; the site and the lab host never serve them.
 */
export interface LessonVariant {
  name: string;
  kind: 'wrong' | 'correct';
  note: string;
  /** Wrong variants: the checks (by exact name) that must fail. */
  catches: string[];
  /** Wrong variants, optional: a regular expression each of those failures' messages must match (the cause named). */
  says?: RegExp;
  files: LabFile[];
}

const VARIANT_NAME = /^[a-z0-9][a-z0-9-]*$/;

function parseVariantMeta(source: string, file: string): Omit<LessonVariant, 'name' | 'files'> {
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const meta = data as { kind?: unknown; note?: unknown; catches?: unknown; says?: unknown };
  if (meta.kind !== 'wrong' && meta.kind !== 'correct') throw new Error(`${file}: "kind" must be "wrong" or "correct"`);
  if (typeof meta.note !== 'string' || meta.note.trim() === '') throw new Error(`${file}: "note" must say in one line what the variant does`);
  const catches = meta.catches ?? [];
  if (!Array.isArray(catches) || !catches.every((c) => typeof c === 'string' && c !== '')) throw new Error(`${file}: "catches" must be a list of check names`);
  if (meta.kind === 'wrong' && catches.length === 0) throw new Error(`${file}: a wrong variant must name the check that catches it in "catches"`);
  if (meta.kind === 'correct' && catches.length > 0) throw new Error(`${file}: a correct variant catches nothing; remove "catches"`);
  if (meta.says !== undefined && (meta.kind !== 'wrong' || typeof meta.says !== 'string' || meta.says === '')) {
    throw new Error(`${file}: "says" is a wrong variant's regular expression for what its failures must say`);
  }
  let says: RegExp | undefined;
  try {
    says = meta.says === undefined ? undefined : new RegExp(meta.says as string, 'i');
  } catch (error) {
    throw new Error(`${file}: "says" is not a regular expression (${(error as Error).message})`);
  }
  return { kind: meta.kind, note: meta.note.trim(), catches: catches as string[], ...(says ? { says } : {}) };
}

/** The lesson's variants, by name; none when it has no `variants/` folder. */
export async function loadVariants(lesson: Lesson): Promise<LessonVariant[]> {
  const root = path.join(lesson.dir, 'variants');
  let entries;
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const variants: LessonVariant[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(root, entry.name);
    if (!VARIANT_NAME.test(entry.name)) throw new Error(`${dir}: variant names are lower-case letters, digits and dashes`);
    const metaFile = path.join(dir, 'variant.json');
    const meta = parseVariantMeta(await fs.readFile(metaFile, 'utf8'), metaFile);
    const own = (await readTree(dir)).filter((f) => f.path !== 'variant.json');
    const byPath = new Map(lesson.solution.map((f) => [f.path, f]));
    for (const file of own) byPath.set(file.path, file);
    variants.push({ name: entry.name, ...meta, files: [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path)) });
  }
  return variants;
}

/**
 * Load a lesson by slug ("map-trap") or folder name ("02-map-trap"). `lessonsDir` lets Astro's build, whose
 * bundled modules do not sit next to the sources, say where the lessons are.
 */
export async function loadLesson(name: string, lessonsDir = LESSONS_DIR): Promise<Lesson> {
  const places = await lessonPlaces(lessonsDir);
  const place = places.find((p) => p.folder === name || p.slug === name);
  if (!place) {
    throw new Error(`no lesson "${name}"; lessons are: ${places.map((p) => p.slug).join(', ')}`);
  }
  const { folder, slug, order } = place;
  const dir = path.join(lessonsDir, folder);
  const indexFile = path.join(dir, 'index.md');
  const source = await fs.readFile(indexFile, 'utf8');
  const meta = parseFrontmatter(source, indexFile);
  return {
    slug,
    folder,
    dir,
    order,
    meta,
    indexFile,
    source,
    body: splitFrontmatter(source, indexFile).body,
    starter: await readTree(path.join(dir, 'starter')),
    solution: await readTree(path.join(dir, 'solution')),
    checksFile: path.join(dir, 'checks.js'),
  };
}
