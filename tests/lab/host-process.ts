import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const root = path.join(import.meta.dirname, '..', '..');
let siteDir: string | undefined;

/** A one-page site, so host tests need no `astro build`. */
function minimalSite(): string {
  siteDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'lab-site-'));
  fs.writeFileSync(path.join(siteDir, 'index.html'), '<!doctype html><title>site</title><p>site</p>');
  return siteDir;
}

export interface HostProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Structured log entries printed so far. */
  logs: () => Record<string, unknown>[];
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `npm start`'s script as a real process with these settings; its stdout and stderr are kept together. */
function spawnHost(env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.ts')], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SITE_DIR: minimalSite(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Run the host; resolves once it serves (or rejects with its output). */
export async function runHost(env: Record<string, string> = {}): Promise<HostProcess> {
  const { child, exited, output } = spawnHost(env);
  const url = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const match = /running at (http:\/\/[^\s/]+)\//.exec(output());
      if (match?.[1]) {
        clearInterval(poll);
        resolve(match[1]);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      reject(new Error(`the host exited (${code}) before serving:\n${output()}`));
    });
  });
  const logs = () =>
    output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, url, output, logs, exited };
}

/** Run the host expecting it to refuse to start; resolves with its exit code and output. */
export async function refusedHost(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { exited, output } = spawnHost(env);
  const code = await exited;
  return { code, output: output() };
}
