/**
 * Hosted Redis bench: round-trip latency of PING, SET and GET from ioredis to a relay session's redis-server,
 * measured in the same run along three paths:
 *   direct   ioredis → the session's redis-server (with its password): the floor
 *   tunnel   ioredis → sandbox tunnel → one WebSocket per connection → relay → redis-server
 *   page     ioredis → tunnel inside a real lab supervisor → `tunnel` events on its stdout → the page bridge
 *            (RelayBridge, run here in Node) → WebSocket → relay → redis-server → `tunnel` commands on its stdin
 * The page path is what a WebContainer uses, minus the browser's own terminal and WebSocket costs.
 *
 * Usage: node bench/redis-relay.ts [--samples=N]   (default 2000 round trips per command and path)
 * Prints a table and writes the figures to bench/results/redis-relay-<timestamp>.json.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import { Redis } from 'ioredis';
import { startTunnel } from '../playground/lab/redis/tunnel.js';
import { RelayBridge, type RelaySession } from '../playground/runtime/redis-relay-bridge.ts';
import { LabProcess } from '../playground/server/lab-process.ts';
import { attachRedisRelay, type RelaySessionInfo } from '../playground/server/redis-relay.ts';
import { percentile, round } from './lib/stats.ts';

const SAMPLES = Number(process.argv.find((a) => a.startsWith('--samples='))?.split('=')[1] ?? 2000);
if (!Number.isInteger(SAMPLES) || SAMPLES < 50 || SAMPLES > 100_000) throw new Error('--samples must be a whole number from 50 to 100000');
const WARMUP = Math.min(200, SAMPLES);
const VALUE = 'v'.repeat(100);

const server = http.createServer((req, res) => {
  if (!relay.answer(req, res)) res.writeHead(404).end();
});
const relay = attachRedisRelay(server);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
const cleanups: (() => unknown)[] = [];

async function newSession(): Promise<RelaySessionInfo> {
  const response = await fetch(`${origin}/redis-relay/session`, { method: 'POST', headers: { origin } });
  if (response.status !== 201) throw new Error(`no relay session: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as RelaySessionInfo;
}
const wsUrl = (token: string) => `ws://127.0.0.1:${new URL(origin).port}/redis-relay?token=${encodeURIComponent(token)}`;

type Timings = Record<'PING' | 'SET' | 'GET', number[]>;

async function measure(client: Redis): Promise<Timings> {
  const timings: Timings = { PING: [], SET: [], GET: [] };
  const time = async (name: keyof Timings, run: () => Promise<unknown>, keep: boolean) => {
    const start = process.hrtime.bigint();
    await run();
    if (keep) timings[name].push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const keep = i >= WARMUP;
    await time('PING', () => client.ping(), keep);
    await time('SET', () => client.set(`bench:${i % 100}`, VALUE), keep);
    await time('GET', () => client.get(`bench:${i % 100}`), keep);
  }
  return timings;
}

const results: Record<string, Record<string, { p50: number; p95: number; p99: number }>> = {};
function record(path: string, timings: Timings): void {
  results[path] = Object.fromEntries(
    Object.entries(timings).map(([name, values]) => {
      const sorted = Float64Array.from(values).sort();
      return [name, { p50: round(percentile(sorted, 50), 3), p95: round(percentile(sorted, 95), 3), p99: round(percentile(sorted, 99), 3) }];
    }),
  );
}

try {
  // One session serves the direct and tunnel paths, so both reach the very same redis-server.
  const shared = await newSession();
  const viaTunnel = await startTunnel({ port: 0, direct: { url: wsUrl(shared.token), origin } });
  cleanups.push(() => viaTunnel.close());
  const tunnelClient = new Redis(viaTunnel.port, '127.0.0.1');
  cleanups.push(() => tunnelClient.disconnect());
  await tunnelClient.ping();
  const hosted = relay.sessions.get(shared.token)!.server!;
  const directClient = new Redis(hosted.port, '127.0.0.1', { password: hosted.password });
  cleanups.push(() => directClient.disconnect());

  record('direct', await measure(directClient));
  record('tunnel', await measure(tunnelClient));

  // The page path: a real supervisor with LAB_REDIS=relay and no relay URL, bridged here as the page would.
  const pageSession = await newSession();
  const lab = await LabProcess.create({ files: [{ path: 'server.js', content: 'require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT);\n' }], redis: 'relay' });
  cleanups.push(() => lab.destroy());
  const session: RelaySession = pageSession;
  const bridge = new RelayBridge({ origin, fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), origin } }),
    openSocket: (url) => new WebSocket(url, { headers: { origin } } as unknown as string[]) }, session, (line) => lab.sendRaw(line));
  cleanups.push(() => bridge.end());
  let tunnelPort = 0;
  lab.on('event', (event) => {
    if (event.type === 'tunnel') bridge.handle(event);
    if (event.type === 'process' && event.name === 'redis' && event.state === 'up') tunnelPort = Number(event.port);
  });
  await lab.send({ type: 'start', instances: 1 });
  const pageClient = new Redis(tunnelPort, '127.0.0.1');
  cleanups.push(() => pageClient.disconnect());
  await pageClient.ping();
  record('page', await measure(pageClient));
} finally {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await relay.close();
  server.closeAllConnections();
  server.close();
}

const rows = Object.entries(results).map(([path, figures]) => ({
  path,
  ...Object.fromEntries(Object.entries(figures).flatMap(([name, f]) => [[`${name} p50`, f.p50], [`${name} p95`, f.p95]])),
}));
console.log(`Round trips through the Redis relay, ms (${SAMPLES} per command and path, sequential, one connection; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)})`);
console.table(rows);
const direct = results.direct!;
for (const path of ['tunnel', 'page']) {
  const added = (['PING', 'SET', 'GET'] as const).map((n) => `${n} +${round(results[path]![n]!.p50 - direct[n]!.p50, 3)}`).join(', ');
  console.log(`${path}: added p50 over direct: ${added} ms`);
}
await fs.mkdir(new URL('results/', import.meta.url), { recursive: true });
const out = new URL(`results/redis-relay-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
await fs.writeFile(out, JSON.stringify({ samples: SAMPLES, node: process.version, cores: os.cpus().length, loadavg: os.loadavg(), results }, null, 2) + '\n');
console.log(`Written to ${out.pathname}`);
