// `astro dev` and `astro preview` must send the isolation headers too (astro.config.mjs server.headers).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedLessons, projectRoot } from './helpers.ts';
import { anyFreePort } from '../../playground/lab/ports.js';

const astro = join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
const lesson = expectedLessons()[0]!;
let child: ChildProcess | undefined;

/** Starts `astro <command>` on a free port and resolves with its URL once it answers. */
async function startAstro(command: 'dev' | 'preview'): Promise<string> {
  const port = await anyFreePort();
  let output = '';
  // Vitest sets NODE_ENV=test and VITEST*; an astro dev server started with those answers 404 everywhere.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST')));
  // --ignore-lock: run alongside a developer's own `astro dev`/`astro preview` instead of refusing, and stay in
  // the foreground (Astro 7 otherwise locks one server per project and may background itself).
  child = spawn(process.execPath, [astro, command, '--host', '127.0.0.1', '--port', String(port), '--ignore-lock'], {
    cwd: projectRoot,
    env: { ...env, ASTRO_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`astro ${command} exited (${child.exitCode}):\n${output}`);
    try {
      await fetch(url);
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`astro ${command} did not answer within 60 s:\n${output}`);
}

afterEach(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  child = undefined;
});

async function expectIsolated(url: string) {
  const res = await fetch(url);
  expect(res.headers.get('cross-origin-opener-policy'), url).toBe('same-origin');
  expect(res.headers.get('cross-origin-embedder-policy'), url).toBe('require-corp');
  return res;
}

describe.each(['dev', 'preview'] as const)('astro %s', (command) => {
  it('sends COOP/COEP on pages and on the scripts they load', async () => {
    const url = await startAstro(command);
    for (const path of ['/', `/lessons/${lesson.slug}/`]) {
      const res = await expectIsolated(url + path);
      expect(res.status, path).toBe(200);
      const html = await res.text();
      const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
      for (const src of scripts.filter((s) => s.startsWith('/'))) await expectIsolated(url + src.replaceAll('&amp;', '&'));
    }
  });
});
