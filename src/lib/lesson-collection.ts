/**
 * The Astro content collection of lessons, filled by the course's own lesson loader: the site reads each lesson's
 * folder rule and frontmatter exactly as the lab host does (one parser, one schema), and Astro only renders the
 * Markdown. In `astro dev`, a changed index.md reloads the course.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Loader } from 'astro/loaders';
import { lessonFolders, loadLesson } from '../../playground/course/lessons.ts';

/** `folder`: where the lessons are, relative to the project's root. */
export function lessonLoader(folder = 'src/lessons/'): Loader {
  return {
    name: 'stateless-lab-lessons',
    async load({ config, store, renderMarkdown, generateDigest, watcher, logger }) {
      const lessonsDir = fileURLToPath(new URL(folder, config.root));
      const sync = async () => {
        const lessons = await Promise.all((await lessonFolders(lessonsDir)).map((folder) => loadLesson(folder, lessonsDir)));
        store.clear();
        for (const lesson of lessons) {
          store.set({
            id: lesson.folder,
            data: lesson.meta,
            body: lesson.body,
            filePath: path.relative(fileURLToPath(config.root), lesson.indexFile),
            digest: generateDigest(lesson.source),
            rendered: await renderMarkdown(lesson.body),
          });
        }
      };
      await sync();
      watcher?.add(lessonsDir);
      watcher?.on('all', (_event, file) => {
        if (!file.startsWith(lessonsDir) || path.basename(file) !== 'index.md') return;
        sync().catch((error: Error) => logger.error(error.message));
      });
    },
  };
}
