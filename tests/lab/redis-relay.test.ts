/**
 * Hosted Redis for the in-browser sandbox, end to end with real processes: ioredis → the sandbox tunnel → the lab
 * host's relay (a real HTTP server and WebSockets) → a per-session redis-server. Also the page path (the faithful
 * WebContainer fake running the real supervisor, the real page bridge) and what a session must not be able to do.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../playground/lab/ports.js';
import { startTunnel } from '../../playground/lab/redis/tunnel.js';
import { buildSandboxSnapshot } from '../../playground/build/sandbox-snapshot.ts';
import type { LabEvent } from '../../playground/protocol/lab-events.ts';
import { createRelaySession, RelayBridge, type RelayAccess } from '../../playground/runtime/redis-relay-bridge.ts';
import { WebContainerRuntime, type ContainerApi } from '../../playground/runtime/webcontainer-runtime.ts';
import { attachRedisRelay, type RedisRelayOptions, type RelaySessionInfo } from '../../playground/server/redis-relay.ts';
import { loadLesson } from '../../playground/course/lessons.ts';
import { FakeWebContainer } from '../support/fake-webcontainer.ts';
import { eventOf, eventually, type ProcessOf } from './helpers.ts';

const run = promisify(execFile);
const CHECK = new URL('../../scripts/check.ts', import.meta.url).pathname;

interface Relay {
  port: number;
  origin: string;
  relay: ReturnType<typeof attachRedisRelay>;
  close: () => Promise<void>;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A lab host's HTTP server with only the relay attached. */
async function startRelay(options: RedisRelayOptions = {}): Promise<Relay> {
  const server = http.createServer((req, res) => {
    if (relay.answer(req, res)) return;
    res.writeHead(404).end();
  });
  const relay = attachRedisRelay(server, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async () => {
    await relay.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  cleanups.push(close);
  return { port, origin: `http://127.0.0.1:${port}`, relay, close };
}

/** `null` sends no Origin header at all. */
async function createSession(relay: Relay, origin: string | null = relay.origin) {
  const response = await fetch(`${relay.origin}/redis-relay/session`, { method: 'POST', headers: origin ? { origin } : {} });
  return { status: response.status, body: (await response.json()) as RelaySessionInfo & { error?: string } };
}

async function session(relay: Relay): Promise<string> {
  const { status, body } = await createSession(relay);
  expect(status).toBe(201);
  return body.token;
}

const relayUrl = (relay: Relay, token: string, extra = '') => `ws://127.0.0.1:${relay.port}/redis-relay?token=${encodeURIComponent(token)}${extra}`;

/** The sandbox's tunnel, reaching the relay by itself, and an ioredis client through it. */
async function clientThrough(relay: Relay, token: string, extra = ''): Promise<Redis> {
  const tunnel = await startTunnel({ port: 0, direct: { url: relayUrl(relay, token, extra), origin: relay.origin } });
  const client = new Redis(tunnel.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  cleanups.push(() => tunnel.close(), () => client.disconnect());
  await client.connect();
  return client;
}

/** fetch as a page of `origin` does it: Origin on every request but same-origin GET and HEAD. */
function browserFetch(origin: string): typeof fetch {
  return (url, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = { ...(init?.headers as Record<string, string>), ...(method === 'GET' || method === 'HEAD' ? {} : { origin }) };
    return fetch(url, { ...init, headers });
  };
}

/** The HTTP status a WebSocket handshake gets (101 when it is accepted). */
function handshake(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'),
        ...(origin ? { origin } : {}),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Live redis-server processes serving this loopback port (redis-server names itself "redis-server 127.0.0.1:<port>"). */
function redisServersOn(port: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')') + 1, stat.lastIndexOf(')') + 4));
      if (!zombie && cmdline.startsWith('redis-server') && cmdline.includes(`:${port}`)) found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

/** Grade a lesson through the real CLI with the lab's Redis reached through the tunnel and this relay. */
async function gradeThroughRelay(relay: Relay, token: string, slug: string, solution = true) {
  const env = { ...process.env, LAB_REDIS_RELAY_URL: relayUrl(relay, token), LAB_REDIS_RELAY_ORIGIN: relay.origin };
  const args = [CHECK, slug, '--json', '--redis', 'relay', ...(solution ? ['--solution'] : [])];
  try {
    const { stdout } = await run(process.execPath, args, { env, timeout: 150_000 });
    return { code: 0, report: JSON.parse(stdout) as { status: string; tests: { name: string; status: string; message: string | null }[] } };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, report: JSON.parse(failed.stdout) as { status: string; tests: { name: string; status: string; message: string | null }[] } };
  }
}

describe('lessons through tunnel → relay → redis-server', () => {
  it('the sessions lesson passes its checks, and its sessions are in the hosted Redis', { timeout: 160_000 }, async () => {
    const relay = await startRelay();
    const token = await session(relay);
    const { code, report } = await gradeThroughRelay(relay, token, 'sessions-in-redis');
    expect(report.tests.filter((t) => t.status !== 'pass').map((t) => `${t.name}: ${t.message}`)).toEqual([]);
    expect(report.status).toBe('pass');
    expect(code).toBe(0);
    const hosted = relay.relay.sessions.get(token);
    expect(hosted?.connectionsTotal).toBeGreaterThan(3);
    expect(hosted?.server?.port).toBeGreaterThan(0);
  });

  it('the socket.io adapter carries messages across instances (websockets lesson)', { timeout: 160_000 }, async () => {
    const relay = await startRelay();
    const token = await session(relay);
    const { code, report } = await gradeThroughRelay(relay, token, 'websockets');
    expect(report.tests.filter((t) => t.status !== 'pass').map((t) => `${t.name}: ${t.message}`)).toEqual([]);
    expect(code).toBe(0);
    expect(relay.relay.sessions.get(token)?.connectionsTotal).toBeGreaterThan(3);
  });

  it('the sessions starter still fails through the relay, saying what was observed', { timeout: 160_000 }, async () => {
    const relay = await startRelay();
    const token = await session(relay);
    const { code, report } = await gradeThroughRelay(relay, token, 'sessions-in-redis', false);
    expect(code).toBe(1);
    expect(report.tests.filter((t) => t.status === 'fail').length).toBeGreaterThan(0);
  });
});

describe('the in-browser sandbox (WebContainer fake, real supervisor, real page bridge)', () => {
  let snapshot: Uint8Array;
  beforeAll(async () => {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'snapshot-'));
    const outFile = path.join(dir, 'lab.snapshot');
    await buildSandboxSnapshot({ projectRoot: path.resolve(import.meta.dirname, '../..'), outFile });
    snapshot = new Uint8Array(await fs.promises.readFile(outFile));
    await fs.promises.rm(dir, { recursive: true });
  }, 120_000);

  function runtime(origin: string) {
    return new WebContainerRuntime({
      loadApi: async () => FakeWebContainer as unknown as ContainerApi,
      loadSnapshot: async () => snapshot,
      isolated: () => true,
      // As a browser would: the page's origin on the session request and on every WebSocket.
      relay: {
        origin,
        fetch: browserFetch(origin),
        openSocket: (url) => new WebSocket(url, { headers: { origin } } as unknown as string[]),
      },
    });
  }

  async function openAndCheck(origin: string) {
    const lesson = await loadLesson('sessions-in-redis');
    const lab = runtime(origin);
    const events: LabEvent[] = [];
    lab.onEvent((e) => events.push(e));
    await lab.boot();
    await lab.openLab({ lesson: lesson.slug, files: lesson.solution, lab: lesson.meta.lab, checks: await fs.promises.readFile(lesson.checksFile, 'utf8') });
    await lab.send({ type: 'start' });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    await lab.send({ type: 'check' });
    await lab.dispose();
    return events;
  }

  it('uses the lab host\'s Redis over the page, passes the checks, and ends the session with the lab', { timeout: 120_000 }, async () => {
    const relay = await startRelay();
    const events = await openAndCheck(relay.origin);
    const up = events.find((e): e is ProcessOf<'redis'> => e.type === 'process' && e.role === 'redis' && e.state === 'up');
    expect(up?.backend).toBe('hosted');
    expect(events.find(eventOf('user', (e) => e.action === 'login'))?.status).toBe(200);
    const report = events.find((e) => e.type === 'checks');
    expect((report?.tests as { name: string; status: string }[]).filter((t) => t.status !== 'pass')).toEqual([]);
    expect(report?.status).toBe('pass');
    // Tunnel traffic is the runtime's business: the UI never sees it, nor the terminal's echo of it.
    expect(events.some((e) => e.type === 'tunnel' || (e.type === 'log' && String(e.text).includes('"tunnel"')))).toBe(false);
    expect(relay.relay.sessions.size).toBe(0);
  });

  it('falls back to the JavaScript Redis in the sandbox when the site has no relay, and says so', { timeout: 120_000 }, async () => {
    const plain = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((r) => plain.close(r)));
    const events = await openAndCheck(`http://127.0.0.1:${(plain.address() as net.AddressInfo).port}`);
    expect(events.find((e): e is ProcessOf<'redis'> => e.type === 'process' && e.role === 'redis' && e.state === 'up')?.backend).toBe('js-redis-server');
    expect(events.some((e) => e.type === 'log' && e.name === 'redis' && /No hosted Redis/.test(String(e.text)))).toBe(true);
    expect(events.find((e) => e.type === 'checks')?.status).toBe('pass');
  });
});

describe('what a relay session can reach', () => {
  it('one session cannot see another session\'s keys or channels', async () => {
    const relay = await startRelay();
    const [a, b] = [await clientThrough(relay, await session(relay)), await clientThrough(relay, await session(relay))];
    await a.set('greeting', 'from A');
    expect(await b.get('greeting')).toBeNull();
    expect(await b.dbsize()).toBe(0);
    await b.set('greeting', 'from B');
    expect(await a.get('greeting')).toBe('from A');

    const listener = a.duplicate();
    cleanups.push(() => listener.disconnect());
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await listener.subscribe('chat');
    expect(await b.publish('chat', 'from B')).toBe(0);
    expect(await a.publish('chat', 'from A')).toBe(1);
    await eventually(() => heard.length > 0, 'A hearing its own message');
    expect(heard).toEqual(['from A']);
  });

  it.each(['setpriv', 'keeper'] as const)('a session\'s redis-server refuses anyone who comes without the relay: it needs a password only the relay has (%s)', async (launcher) => {
    const relay = await startRelay({ launcher });
    const token = await session(relay);
    const client = await clientThrough(relay, token);
    expect(await client.ping()).toBe('PONG');
    const port = relay.relay.sessions.get(token)!.server!.port;
    const direct = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    cleanups.push(() => direct.disconnect());
    await expect(direct.get('anything')).rejects.toThrow(/NOAUTH/);
    await expect(client.call('CONFIG', 'SET', 'maxmemory', '0')).rejects.toThrow(/NOPERM/);
  });

  it('ignores anything in the request that names another address, and Redis itself cannot connect out', async () => {
    const otherPort = await freePort();
    const other = spawn('redis-server', ['--port', String(otherPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    cleanups.push(() => other.kill('SIGKILL'));
    await waitForPort(otherPort, 5000);
    const outside = new Redis(otherPort, '127.0.0.1');
    cleanups.push(() => outside.disconnect());
    await outside.set('secret', 'not yours');

    const relay = await startRelay();
    const token = await session(relay);
    const sneaky = await clientThrough(relay, token, `&host=127.0.0.1&port=${otherPort}&target=127.0.0.1:${otherPort}`);
    expect(await sneaky.get('secret')).toBeNull();
    await sneaky.set('marker', 'here');
    expect(await outside.exists('marker')).toBe(0);
    const own = await clientThrough(relay, token);
    expect(await own.get('marker')).toBe('here');

    await expect(sneaky.call('MIGRATE', '127.0.0.1', String(otherPort), 'marker', '0', '1000')).rejects.toThrow(/NOPERM/);
    await expect(sneaky.call('REPLICAOF', '127.0.0.1', String(otherPort))).rejects.toThrow(/NOPERM/);
    await expect(sneaky.call('CONFIG', 'SET', 'maxmemory', '0')).rejects.toThrow(/NOPERM/);
    await expect(sneaky.call('DEBUG', 'SLEEP', '0')).rejects.toThrow(/NOPERM|not allowed/);
    expect(await outside.exists('marker')).toBe(0);
  });

  it('a handshake that ws rejects does not count as an open connection (the session can still go idle)', async () => {
    const relay = await startRelay();
    const token = await session(relay);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(relayUrl(relay, token).replace(/^ws/, 'http'), { headers: { connection: 'Upgrade', upgrade: 'websocket', origin: relay.origin } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    await eventually(() => relay.relay.sessions.get(token)?.connections === 0, 'the refused handshake to be counted out');
    expect(relay.relay.sessions.get(token)?.connectionsTotal).toBe(1);
  });

  it('refuses WebSockets without a valid token, and tokens of ended sessions', async () => {
    const relay = await startRelay();
    const token = await session(relay);
    expect(await handshake(relayUrl(relay, token), relay.origin)).toBe(101);
    expect(await handshake(`ws://127.0.0.1:${relay.port}/redis-relay`, relay.origin)).toBe(401);
    expect(await handshake(relayUrl(relay, token.slice(0, -2) + 'xx'), relay.origin)).toBe(401);
    const ended = await fetch(`${relay.origin}/redis-relay/session`, { method: 'DELETE', headers: { origin: relay.origin, authorization: `Bearer ${token}` } });
    expect(ended.status).toBe(204);
    expect(await handshake(relayUrl(relay, token), relay.origin)).toBe(401);
    const again = await fetch(`${relay.origin}/redis-relay/session`, { method: 'DELETE', headers: { origin: relay.origin, authorization: `Bearer ${token}` } });
    expect(again.status).toBe(404);
  });

  it('checks the origin of session requests and of WebSockets', async () => {
    const relay = await startRelay({ allowedOrigins: ['http://localhost:4321'] });
    expect((await createSession(relay, 'http://evil.example')).status).toBe(403);
    expect((await createSession(relay, null)).status).toBe(403);
    expect((await createSession(relay, 'http://localhost:4321')).status).toBe(201);
    const token = await session(relay);
    expect(await handshake(relayUrl(relay, token), 'http://evil.example')).toBe(403);
    expect(await handshake(relayUrl(relay, token))).toBe(403);
    expect(await handshake(relayUrl(relay, token), 'http://localhost:4321')).toBe(101);
    expect(relay.relay.sessions.size).toBe(2);
  });
  it('asks for the class\'s join link when the host has one', async () => {
    const relay = await startRelay({ joinToken: 'class-7b' });
    expect((await createSession(relay)).status).toBe(401);
    const joined = await fetch(`${relay.origin}/redis-relay/session`, { method: 'POST', headers: { origin: relay.origin, cookie: 'lab_join=class-7b' } });
    expect(joined.status).toBe(201);
  });
});

describe('limits and the end of a session', () => {
  it('an idle session\'s redis-server is stopped and its token stops working', async () => {
    const relay = await startRelay({ idleMs: 400 });
    const token = await session(relay);
    const client = await clientThrough(relay, token);
    await client.set('k', 'v');
    const port = relay.relay.sessions.get(token)!.server!.port;
    expect(redisServersOn(port).length).toBe(1);
    client.disconnect();
    await eventually(() => relay.relay.sessions.size === 0, 'the idle session to end', 5000);
    await eventually(() => redisServersOn(port).length === 0, 'its redis-server to exit', 5000);
    expect(await refusesConnections(port)).toBe(true);
    expect(await handshake(relayUrl(relay, token), relay.origin)).toBe(401);
  });

  it('a session with an open connection is not idle', async () => {
    const relay = await startRelay({ idleMs: 300 });
    const token = await session(relay);
    const client = await clientThrough(relay, token);
    await client.set('k', 'v');
    await new Promise((r) => setTimeout(r, 900));
    expect(await client.get('k')).toBe('v');
    expect(relay.relay.sessions.size).toBe(1);
  });

  it('ending a session stops its redis-server and closes its connections', async () => {
    const relay = await startRelay();
    const token = await session(relay);
    const client = await clientThrough(relay, token);
    await client.ping();
    const port = relay.relay.sessions.get(token)!.server!.port;
    const closed = new Promise((resolve) => client.once('end', resolve));
    await fetch(`${relay.origin}/redis-relay/session`, { method: 'DELETE', headers: { origin: relay.origin, authorization: `Bearer ${token}` } });
    await closed;
    await eventually(() => redisServersOn(port).length === 0, 'its redis-server to exit', 5000);
  });

  it('a session ends at its maximum lifetime even while in use', async () => {
    const relay = await startRelay({ maxLifetimeMs: 600 });
    const token = await session(relay);
    const client = await clientThrough(relay, token);
    await client.ping();
    await eventually(() => relay.relay.sessions.size === 0, 'the session to reach its lifetime', 5000);
  });

  it('caps memory, connections and sessions', async () => {
    const relay = await startRelay({ maxmemory: '2mb', maxConnections: 2, maxSessions: 2 });
    const token = await session(relay);
    const client = await clientThrough(relay, token);
    const big = 'x'.repeat(1024 * 1024);
    await expect((async () => { for (let i = 0; i < 8; i++) await client.set(`big:${i}`, big); })()).rejects.toThrow(/OOM/);
    expect(await client.dbsize()).toBeLessThan(8);
    await clientThrough(relay, token);
    expect(await handshake(relayUrl(relay, token), relay.origin)).toBe(429);
    await session(relay);
    const full = await createSession(relay);
    expect(full.status).toBe(503);
    expect(full.body.error).toMatch(/already hosts 2 Redis sessions/);
  });

  it('closing the relay leaves no redis-server behind', async () => {
    const relay = await startRelay();
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const token = await session(relay);
      await (await clientThrough(relay, token)).ping();
      ports.push(relay.relay.sessions.get(token)!.server!.port);
    }
    expect(ports.flatMap(redisServersOn).length).toBe(2);
    await relay.relay.close();
    await eventually(() => ports.flatMap(redisServersOn).length === 0, 'every session redis-server to exit', 5000);
  });
});

afterAll(() => {
  FakeWebContainer.behaviour = {};
});

describe('the page bridge', () => {
  /** The tunnel in page mode and the page's bridge, joined directly (in the sandbox, the supervisor's stdio joins them). */
  async function overThePage(relay: Relay) {
    const access: RelayAccess = {
      origin: relay.origin,
      fetch: browserFetch(relay.origin),
      openSocket: (url) => new WebSocket(url, { headers: { origin: relay.origin } } as unknown as string[]),
    };
    const created = await createRelaySession(access);
    if (!('session' in created)) throw new Error(created.reason);
    const notices: string[] = [];
    let tunnel: Awaited<ReturnType<typeof startTunnel>> | undefined;
    const bridge = new RelayBridge(access, created.session, (line) => tunnel?.receive(JSON.parse(line) as Record<string, unknown>), (text) => notices.push(text));
    tunnel = await startTunnel({ port: 0, emit: (message) => bridge.handle(message) });
    const client = new Redis(tunnel.port, '127.0.0.1', { retryStrategy: () => 100 });
    cleanups.push(() => tunnel?.close(), () => client.disconnect(), () => bridge.end());
    return { bridge, client, notices };
  }

  it('carries large and binary values intact, cut into tunnel-sized pieces both ways', async () => {
    const relay = await startRelay();
    const { client } = await overThePage(relay);
    const bytes = Buffer.alloc(1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
    await client.set('blob', bytes);
    const back = await client.getBuffer('blob');
    expect(back?.length).toBe(bytes.length);
    expect(back?.equals(bytes)).toBe(true);
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => client.set(`k${i}`, String(i)).then(() => client.get(`k${i}`))));
    expect(many).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('renews a session that ended under a running lab, and says the old data is gone', async () => {
    const relay = await startRelay();
    const { bridge, client, notices } = await overThePage(relay);
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    const first = bridge.token;
    await fetch(`${relay.origin}/redis-relay/session`, { method: 'DELETE', headers: { origin: relay.origin, authorization: `Bearer ${first}` } });
    await eventually(() => bridge.token !== first, 'a new session', 10_000);
    expect(await client.ping()).toBe('PONG');
    expect(await client.get('k')).toBeNull();
    expect(notices).toEqual([expect.stringMatching(/new, empty one was started/)]);
    expect(relay.relay.sessions.size).toBe(1);
    await bridge.end();
    expect(relay.relay.sessions.size).toBe(0);
  });

  it('does not start a new session when a connection is refused but the session lives', async () => {
    const relay = await startRelay({ maxConnections: 1 });
    const { bridge, client, notices } = await overThePage(relay);
    await client.ping();
    const first = bridge.token;
    const second = client.duplicate({ retryStrategy: () => null, maxRetriesPerRequest: 0 });
    cleanups.push(() => second.disconnect());
    await expect(second.ping()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect(bridge.token).toBe(first);
    expect(notices).toEqual([]);
    expect(relay.relay.sessions.size).toBe(1);
  });
});

describe('a lab host that dies', () => {
  it.each(['setpriv', 'keeper'])('takes its sessions\' redis-servers with it, even when killed outright (%s)', { timeout: 30_000 }, async (launcher) => {
    const sessionsModule = new URL('../../playground/server/redis-sessions.ts', import.meta.url).href;
    const host = spawn(process.execPath, ['--input-type=module', '-e', `
      const { RedisSessions } = await import(${JSON.stringify(sessionsModule)});
      const sessions = new RedisSessions({ launcher: ${JSON.stringify(launcher)} });
      const ports = [];
      for (let i = 0; i < 2; i++) ports.push((await sessions.connect(sessions.create().token)).server.port);
      console.log(JSON.stringify(ports));
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => host.kill('SIGKILL'));
    const ports = await new Promise<number[]>((resolve) => host.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as number[])));
    expect(ports.flatMap(redisServersOn).length).toBe(2);
    host.kill('SIGKILL');
    await eventually(() => ports.flatMap(redisServersOn).length === 0, 'the orphaned redis-servers to exit', 5000);
  });
});

describe('relay settings from the environment', () => {
  it('reads limits, turns off with REDIS_RELAY=off, and names a bad value', async () => {
    const { relayOptionsFromEnv } = await import('../../playground/server/redis-relay.ts');
    expect(relayOptionsFromEnv({ REDIS_RELAY: 'off' })).toBeUndefined();
    expect(relayOptionsFromEnv({ REDIS_RELAY_MAXMEMORY: '16mb', REDIS_RELAY_IDLE_SECONDS: '30', REDIS_RELAY_MAX_SESSIONS: '5' })).toMatchObject({
      maxmemory: '16mb', idleMs: 30_000, maxSessions: 5, maxConnections: undefined,
    });
    expect(() => relayOptionsFromEnv({ REDIS_RELAY_IDLE_SECONDS: 'soon' })).toThrow(/REDIS_RELAY_IDLE_SECONDS must be a whole number/);
    expect(() => relayOptionsFromEnv({ REDIS_RELAY_MAXMEMORY: 'lots' })).toThrow(/REDIS_RELAY_MAXMEMORY/);
    expect(() => relayOptionsFromEnv({ REDIS_RELAY: 'namespace', REDIS_URL: 'redis://shared:6379' })).toThrow(/not supported.*cannot keep learners' keys and pub\/sub channels apart/);
    expect(() => relayOptionsFromEnv({ REDIS_RELAY: 'maybe' })).toThrow(/on or off/);
    expect(relayOptionsFromEnv({})).toBeDefined();
  });
});
