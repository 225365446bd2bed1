import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export const projectRoot = join(import.meta.dirname, '..', '..');

export { launchChromium } from '../../scripts/lib/chromium.ts';

export interface ExpectedLesson {
  folder: string;
  slug: string;
  title: string;
  summary: string;
  starterFiles: string[];
}

/** The lessons as the folders define them, in course order: what the site must show. */
export function expectedLessons(): ExpectedLesson[] {
  const dir = join(projectRoot, 'src', 'lessons');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d+-/.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((folder) => {
      const text = readFileSync(join(dir, folder, 'index.md'), 'utf8');
      const data = load(/^---\r?\n([\s\S]*?)\r?\n---/.exec(text)![1]!) as { title: string; summary: string };
      let starterFiles: string[] = [];
      try {
        starterFiles = readdirSync(join(dir, folder, 'starter'), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => join(e.parentPath, e.name).slice(join(dir, folder, 'starter').length + 1))
          .sort();
      } catch {
        /* no starter yet */
      }
      return { folder, slug: folder.replace(/^\d+-/, ''), title: data.title, summary: data.summary, starterFiles };
    });
}
