// Authoring, end to end on a throw-away copy of the site (sources copied, node_modules linked), so the real lessons
// stay untouched: a lesson made by `npm run new-lesson` builds into a page and its checks type-check; a lesson with
// a bad frontmatter key fails `astro build` with a message naming the file and the key.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { expectedLessons, projectRoot } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'lesson-authoring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const entry of ['astro.config.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'src', 'public', 'playground', 'integrations', 'scripts']) {
  cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
}
symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');

const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST'))), ASTRO_TELEMETRY_DISABLED: '1' };
const inCopy = (file: string, args: string[]) => {
  const result = spawnSync(process.execPath, [file, ...args], { cwd: dir, encoding: 'utf8', env });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
};
const astroBuild = () => inCopy(join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs'), ['build']);

it('a scaffolded lesson builds into its page after the last lesson, and its checks type-check', () => {
  const made = inCopy('scripts/new-lesson.ts', ['shared-visits', '--title', 'Shared visits']);
  expect(made.status, made.output).toBe(0);
  const lessons = expectedLessons();
  const last = lessons.at(-1)!;

  const build = astroBuild();
  expect(build.status, build.output).toBe(0);
  const page = readFileSync(join(dir, 'dist', 'lessons', 'shared-visits', 'index.html'), 'utf8');
  expect(page).toMatch(/<h1 id="lesson-title"[^>]*>Shared visits<\/h1>/);
  expect(page).toMatch(new RegExp(`Lesson ${lessons.length + 1} of ${lessons.length + 1}`));
  expect(page).toContain('Every instance gives the same total of visits');
  expect(readFileSync(join(dir, 'dist', 'lessons', last.slug, 'index.html'), 'utf8')).toContain('/lessons/shared-visits/');

  const types = inCopy(join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), ['--noEmit', '-p', 'src/lessons']);
  expect(types.status, types.output).toBe(0);
  // The checks are really checked: a misspelt member of `lab` is an error.
  const checks = join(dir, 'src', 'lessons', `${String(lessons.length + 1).padStart(2, '0')}-shared-visits`, 'checks.js');
  writeFileSync(checks, readFileSync(checks, 'utf8').replace('lab.upInstances()', 'lab.upInstance()'));
  const typo = inCopy(join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), ['--noEmit', '-p', 'src/lessons']);
  expect(typo.status).not.toBe(0);
  expect(typo.output).toMatch(/upInstance/);
});

it('astro build fails and names the file and the key', () => {
  const lesson = expectedLessons()[0]!;
  const file = join(dir, 'src', 'lessons', lesson.folder, 'index.md');
  expect(existsSync(file)).toBe(true);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^lab:\n/m, 'lab:\n  instancez: 3\n'));
  const build = astroBuild();
  expect(build.status, build.output).not.toBe(0);
  expect(build.output).toContain(`src/lessons/${lesson.folder}/index.md`);
  expect(build.output).toContain('instancez');
  expect(build.output).toMatch(/unrecognized key/i);
});
