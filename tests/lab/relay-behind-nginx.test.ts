/**
 * Hosted Redis behind several lab hosts: a session lives on the host that created it, and the page then opens
 * WebSockets to it through the balancer. Real nginx with the documented configuration must send them all to that
 * host, by the page's lab_affinity cookie.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { anyFreePort } from '../../playground/lab/ports.js';
import { runNginx, type RunningNginx } from '../../scripts/lib/run-nginx.ts';
import { spawnStart, type StartedServer } from '../../scripts/lib/spawn-start.ts';

let site: string;
const hosts: { port: number; server: StartedServer }[] = [];
let nginx: RunningNginx;

beforeAll(async () => {
  site = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-site-'));
  await fs.writeFile(path.join(site, 'index.html'), '<!doctype html><title>site</title>');
  for (let i = 0; i < 2; i++) {
    const port = await anyFreePort();
    hosts.push({ port, server: await spawnStart({ env: { ...process.env, SITE_DIR: site }, port }) });
  }
  nginx = await runNginx(hosts.map((h) => h.port));
}, 90_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(hosts.map((h) => h.server.stop()));
  if (site) await fs.rm(site, { recursive: true, force: true });
});

/** One tunnelled connection through nginx: send PING, resolve with Redis's answer. */
function pingThrough(url: string, token: string, cookie: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http:', 'ws:')}/redis-relay?token=${token}`, { headers: { origin: url, cookie } });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () => ws.send(Buffer.from('*1\r\n$4\r\nPING\r\n')));
    ws.once('message', (data) => {
      resolve(String(data));
      ws.close();
    });
  });
}

describe('hosted Redis behind nginx', () => {
  it('the session and all its connections meet on one host', { timeout: 60_000 }, async () => {
    for (const affinity of ['a1b2c3d4', 'ffee0011', '5566aabb']) {
      const cookie = `lab_affinity=${affinity}`;
      const created = await fetch(`${nginx.url}/redis-relay/session`, { method: 'POST', headers: { origin: nginx.url, cookie } });
      expect(created.status).toBe(201);
      const { token } = (await created.json()) as { token: string };
      // Only one host knows the session: without affinity, about half the connections would be refused.
      const known = await Promise.all(
        hosts.map(async (h) => (await fetch(`http://127.0.0.1:${h.port}/redis-relay/session`, { headers: { authorization: `Bearer ${token}` } })).status),
      );
      expect(known.sort()).toEqual([204, 404]);
      for (let i = 0; i < 8; i++) expect(await pingThrough(nginx.url, token, cookie)).toBe('+PONG\r\n');
      await fetch(`${nginx.url}/redis-relay/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, origin: nginx.url, cookie } });
    }
  });
});
