/**
 * `npm run new-lesson -- <slug> [--title "…"]`: a new lesson folder, numbered after the last one, that builds and
 * grades from the start: a starter that fails its sample check, a solution that passes it, three wrong variants
 * and a correct one. The author then rewrites each part for the lesson's own topic (see README, "Writing a lesson").
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LESSONS_DIR, lessonPlaces, placeOf } from '../playground/course/lessons.ts';

const TEMPLATE = fileURLToPath(new URL('./lesson-template/', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { title: { type: 'string' }, 'lessons-dir': { type: 'string' } },
});

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const slug = positionals[0];
if (!slug || positionals.length > 1) fail('usage: npm run new-lesson -- <slug> [--title "Lesson title"]   e.g. npm run new-lesson -- shared-uploads');
const lessonsDir = path.resolve(values['lessons-dir'] ?? LESSONS_DIR);
const places = await lessonPlaces(lessonsDir).catch((error: Error) => fail(error.message));
const order = Math.max(0, ...places.map((p) => p.order)) + 1;
const folder = `${String(order).padStart(2, '0')}-${slug}`;
try {
  placeOf(folder);
} catch {
  fail(`"${slug}" is not a lesson slug: lowercase letters and digits in words joined by dashes, e.g. "shared-uploads".`);
}
const taken = places.find((p) => p.slug === slug);
if (taken) fail(`There is already a lesson "${slug}": src/lessons/${taken.folder}.`);

const title = values.title?.trim() || slug.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
if (/[\r\n]/.test(title)) fail('A title is one line.');
const target = path.join(lessonsDir, folder);

await fs.cp(TEMPLATE, target, { recursive: true, errorOnExist: true, force: false });
// index.md holds it in a single-quoted YAML string (a quote is doubled), checks.js in a line comment.
for (const [file, text] of [['index.md', title.replaceAll("'", "''")], ['checks.js', title]] as const) {
  const full = path.join(target, file);
  await fs.writeFile(full, (await fs.readFile(full, 'utf8')).replaceAll('__TITLE__', text));
}

const shown = path.relative(process.cwd(), target) || target;
console.log(`Created ${shown}/ — lesson ${order}, "${title}", at /lessons/${slug}/:
  index.md            frontmatter (title, summary, minutes, hints, lab settings) and the lesson's prose
  starter/            the files the learner starts from: they must fail a check
  solution/           the reference answer: it must pass every check
  checks.js           the graded checks (\`lab\` is typed: your editor completes and checks it)
  variants/           wrong answers a check must catch, and correct ones written differently

Next:
  npm run check -- ${slug}              the starter fails the sample check
  npm run check -- ${slug} --solution   the solution passes
  npm run dev                            the page at http://127.0.0.1:4321/lessons/${slug}/`);
