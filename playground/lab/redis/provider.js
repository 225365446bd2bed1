// @ts-check
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoundedOutput } from '../output.js';
import { freePort, waitForPort } from '../ports.js';
import { startTunnel } from './tunnel.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const GUARD = path.join(here, '..', 'orphan-guard.js');

/** @typedef {'redis-server' | 'js-redis-server' | 'external' | 'hosted'} RedisBackend */

/**
 * @typedef {object} RedisHandle
 * @property {RedisBackend} backend
 * @property {string} url       where the lab's own clients connect
 * @property {string} host
 * @property {number} port
 * @property {boolean} owned    true when this lab started the server (so it may flush it)
 * @property {number | undefined} pid
 * @property {() => Promise<void>} stop
 * @property {() => void} killNow
 * @property {((command: Record<string, unknown>) => void) | undefined} [tunnel]  takes the page's `tunnel` commands (hosted)
 */

/**
 * Pick and start the lab's Redis:
 *  - `REDIS_URL` (mode "url" or "auto" with a URL): use that server;
 *  - a real `redis-server` per lab when the binary is on PATH (mode "redis-server", or "auto");
 *  - otherwise the pure-JS `js-redis-server` in its own process (mode "js");
 *  - mode "relay": the lab host's hosted Redis, through a tunnel on 127.0.0.1:6379 (see tunnel.js). With
 *    `relay.url` the tunnel opens WebSockets itself; otherwise `relay.emit` hands its connections to the page.
 * @param {{ mode?: string, url?: string, onLog: (stream: 'stdout' | 'stderr', text: string) => void, onExit: (reason: string) => void,
 *   relay?: { url?: string, origin?: string, port?: number, emit?: (message: import('./tunnel.js').TunnelMessage) => void } }} options
 * @returns {Promise<RedisHandle>}
 */
export async function startRedis({ mode = 'auto', url, onLog, onExit, relay }) {
  if (mode === 'relay') {
    const tunnel = await startTunnel({
      port: relay?.port ?? 6379,
      direct: relay?.url ? { url: relay.url, origin: relay.origin } : undefined,
      emit: relay?.emit,
    });
    return {
      backend: 'hosted', url: `redis://127.0.0.1:${tunnel.port}`, host: '127.0.0.1', port: tunnel.port, owned: true, pid: undefined,
      stop: () => tunnel.close(), killNow: () => void tunnel.close(), tunnel: (command) => tunnel.receive(command),
    };
  }
  if (mode === 'url' || (mode === 'auto' && url)) {
    if (!url) throw new Error('LAB_REDIS=url needs REDIS_URL to be set');
    const parsed = new URL(url);
    return {
      backend: 'external', url, host: parsed.hostname, port: Number(parsed.port || 6379), owned: false, pid: undefined,
      stop: async () => {}, killNow: () => {},
    };
  }
  const useBinary = mode === 'redis-server' || (mode === 'auto' && onPath('redis-server'));
  if (mode === 'redis-server' && !onPath('redis-server')) throw new Error('LAB_REDIS=redis-server but no redis-server binary is on PATH');
  if (!useBinary && mode !== 'auto' && mode !== 'js') throw new Error(`unknown LAB_REDIS mode "${mode}"; use auto, redis-server, js, url or relay`);

  const port = await freePort();
  const script = useBinary ? path.join(here, 'server-keeper.js') : path.join(here, 'js-server.js');
  const child = spawn(process.execPath, ['--import', GUARD, script, String(port), '64mb'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new BoundedOutput(onLog);
  child.stdout?.on('data', (c) => output.push('stdout', c));
  child.stderr?.on('data', (c) => output.push('stderr', c));
  let stopping = false;
  const exited = new Promise((resolve) => child.on('close', (code, signal) => {
    output.flush();
    if (!stopping) onExit(`Redis exited (${signal ?? `code ${code}`}): ${output.lastErrorLines(3).join(' | ') || 'no output'}`);
    resolve(undefined);
  }));
  try {
    await Promise.race([waitForPort(port, 10_000), exited.then(() => { throw new Error(`Redis failed to start: ${output.lastErrorLines(3).join(' | ')}`); })]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    backend: useBinary ? 'redis-server' : 'js-redis-server',
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    owned: true,
    pid: child.pid,
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
    killNow() {
      stopping = true;
      // SIGTERM, not SIGKILL: the keeper must live long enough to take redis-server down with it.
      child.kill(useBinary ? 'SIGTERM' : 'SIGKILL');
    },
  };
}

/** @param {string} binary */
export function onPath(binary) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, binary), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
