/**
 * Runs Debian's nginx in front of lab hosts for tests, as a child process with every file it writes in a temporary
 * directory, configured by the same template docs/multi-host.md quotes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nginxStandaloneConfig } from './nginx-config.ts';
import { anyFreePort } from '../../playground/lab/ports.js';

export const NGINX = process.env.NGINX_PATH || '/usr/sbin/nginx';

export interface RunningNginx {
  url: string;
  dir: string;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Start nginx on a free loopback port in front of `hostPorts`; resolves once it proxies GET /lab to a host. */
export async function runNginx(hostPorts: number[], timeoutMs = 30_000): Promise<RunningNginx> {
  if (!existsSync(NGINX)) throw new Error(`nginx is not installed at ${NGINX} (apt-get install nginx; .ci/run does)`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-nginx-'));
  // nginx's workers drop root privileges: let them reach their temporary directories.
  await fs.chmod(dir, 0o755);
  await fs.mkdir(path.join(dir, 'tmp'), { mode: 0o777 });
  await fs.chmod(path.join(dir, 'tmp'), 0o777);
  const listen = await anyFreePort();
  const conf = path.join(dir, 'nginx.conf');
  await fs.writeFile(conf, nginxStandaloneConfig({ dir, listen: `127.0.0.1:${listen}`, hosts: hostPorts.map((port) => `127.0.0.1:${port}`) }));
  const child = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${listen}`;
  const running: RunningNginx = {
    url,
    dir,
    errorLog: () => fs.readFile(path.join(dir, 'error.log'), 'utf8').catch(() => ''),
    async stop() {
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${await running.errorLog()}`);
    try {
      const response = await fetch(`${url}/lab`);
      if (response.ok && ((await response.json()) as { labHost?: boolean }).labHost === true) return running;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error('nginx did not proxy GET /lab in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
