import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { spawnStart } from '../../scripts/lib/spawn-start.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the site under test, without a trailing slash. */
    siteUrl: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

/**
 * Builds the site (the CI build step), then runs `npm start`'s server (site + lab host) on a free port, as a real
 * process, the way a learner's browser meets it.
 */
export default async function setup(project: TestProject) {
  if (process.env.SITE_URL) {
    project.provide('siteUrl', process.env.SITE_URL.replace(/\/$/, ''));
    return;
  }
  const astro = join(root, 'node_modules', 'astro', 'bin', 'astro.mjs');
  // Build as a developer would: without Vitest's NODE_ENV=test and VITEST* variables.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST')));
  const build = spawnSync(process.execPath, [astro, 'build'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  if (build.status !== 0) {
    throw new Error(`astro build failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
  }
  const server = await spawnStart({ env });
  project.provide('siteUrl', server.url);
  return () => server.stop();
}
