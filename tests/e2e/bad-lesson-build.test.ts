// A lesson with a bad frontmatter key must fail `astro build` with a message naming the file and the key.
// Builds a throw-away copy of the site (sources copied, node_modules linked) so the real lessons stay untouched.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { expectedLessons, projectRoot } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'bad-lesson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('astro build fails and names the file and the key', () => {
  for (const entry of ['astro.config.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'src', 'public', 'playground', 'integrations']) {
    cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const lesson = expectedLessons()[0]!;
  const file = join(dir, 'src', 'lessons', lesson.folder, 'index.md');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/^lab:\n/m, 'lab:\n  instancez: 3\n'));

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST')));
  const build = spawnSync(process.execPath, [join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs'), 'build'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  const output = `${build.stdout}\n${build.stderr}`;
  expect(build.status, output).not.toBe(0);
  expect(output).toContain(`src/lessons/${lesson.folder}/index.md`);
  expect(output).toContain('instancez');
  expect(output).toMatch(/unrecognized key/i);
});
