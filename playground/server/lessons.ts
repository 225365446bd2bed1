import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';
import { lessonSchema, type LessonMeta } from '../../src/lessons/schema.ts';

export const LESSONS_DIR = fileURLToPath(new URL('../../src/lessons/', import.meta.url));

export interface LabFile {
  path: string;
  content: string;
}

export interface Lesson {
  slug: string;
  folder: string;
  dir: string;
  order: number;
  meta: LessonMeta;
  starter: LabFile[];
  solution: LabFile[];
  checksFile: string;
}

/** "02-map-trap" → "map-trap" */
export function slugOf(folder: string): string {
  return folder.replace(/^\d+-/, '');
}

export async function lessonFolders(lessonsDir = LESSONS_DIR): Promise<string[]> {
  const entries = await fs.readdir(lessonsDir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && /^\d+-/.test(e.name)).map((e) => e.name).sort();
}

/** Parse and validate the frontmatter of a lesson's index.md; errors name the file and the key. */
export function parseFrontmatter(source: string, file: string): LessonMeta {
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(source);
  if (!match) throw new Error(`${file}: no frontmatter (a block between --- lines at the top)`);
  const data = loadYaml(match[1] ?? '');
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
 * Load a lesson by slug ("map-trap") or folder name ("02-map-trap"). `lessonsDir` lets Astro's build, whose
 * bundled modules do not sit next to the sources, say where the lessons are.
 */
export async function loadLesson(name: string, lessonsDir = LESSONS_DIR): Promise<Lesson> {
  const folders = await lessonFolders(lessonsDir);
  const folder = folders.find((f) => f === name || slugOf(f) === name);
  if (!folder) {
    throw new Error(`no lesson "${name}"; lessons are: ${folders.map(slugOf).join(', ')}`);
  }
  const dir = path.join(lessonsDir, folder);
  const indexFile = path.join(dir, 'index.md');
  const meta = parseFrontmatter(await fs.readFile(indexFile, 'utf8'), indexFile);
  return {
    slug: slugOf(folder),
    folder,
    dir,
    order: Number.parseInt(folder, 10),
    meta,
    starter: await readTree(path.join(dir, 'starter')),
    solution: await readTree(path.join(dir, 'solution')),
    checksFile: path.join(dir, 'checks.js'),
  };
}
