/**
 * What one learner can do to the lab host's hosted Redis, through a real `npm start` and its relay: the memory one
 * command or script may take, how many sessions one client may hold, and the folders a killed host leaves behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTunnel } from '../../playground/lab/redis/tunnel.js';
import { listBriefs, readProcess } from '../../playground/server/proc-scan.ts';
import { RedisSessions } from '../../playground/server/redis-sessions.ts';
import { eventually } from './helpers.ts';
import { refusedHost, runHost, type HostProcess } from './host-process.ts';

const MB = 1024 * 1024;
/** The kernel's cap on a hosted redis-server with the default 32mb maxmemory (64 MB + 4 × maxmemory). */
const KERNEL_CAP = 192 * MB;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A host with a LAB_ROOT of its own, so other tests' folders are never touched. */
const host = (env: Record<string, string> = {}) => runHost({ LAB_ROOT: tempDir('redis-limits-'), ...env });

async function postSession(lab: HostProcess, headers: Record<string, string> = {}) {
  const response = await fetch(`${lab.url}/redis-relay/session`, { method: 'POST', headers: { origin: lab.url, ...headers } });
  return { status: response.status, body: (await response.json()) as { token?: string; error?: string } };
}

async function session(lab: HostProcess, headers: Record<string, string> = {}): Promise<string> {
  const { status, body } = await postSession(lab, headers);
  expect(status, body.error).toBe(201);
  return body.token!;
}

const endSession = (lab: HostProcess, token: string) =>
  fetch(`${lab.url}/redis-relay/session`, { method: 'DELETE', headers: { origin: lab.url, authorization: `Bearer ${token}` } });

const relayUrl = (lab: HostProcess, token: string) => `${lab.url.replace(/^http/, 'ws')}/redis-relay?token=${encodeURIComponent(token)}`;

/** ioredis through the sandbox's tunnel and the relay, as an in-browser lab reaches it. */
async function redisThrough(lab: HostProcess, token: string): Promise<Redis> {
  const tunnel = await startTunnel({ port: 0, direct: { url: relayUrl(lab, token), origin: lab.url } });
  const client = new Redis(tunnel.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  cleanups.push(() => tunnel.close(), () => client.disconnect());
  await client.connect();
  return client;
}

/** The session's redis-server as it reports itself, and how much it uses. */
async function serverInfo(client: Redis): Promise<{ pid: number; usedMemory: number }> {
  const info = (await client.info('server')) + (await client.info('memory'));
  return { pid: Number(/^process_id:(\d+)/m.exec(info)?.[1]), usedMemory: Number(/^used_memory:(\d+)/m.exec(info)?.[1]) };
}

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

const healthy = async (lab: HostProcess) => (await fetch(`${lab.url}/health`)).status === 200;

/** RESP for one command; Buffers go out as they are. */
function command(...args: (string | Buffer)[]): Buffer[] {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${Buffer.byteLength(arg)}\r\n`), Buffer.isBuffer(arg) ? arg : Buffer.from(arg), Buffer.from('\r\n'));
  return parts;
}

/** Send a command over a raw relay WebSocket in frames the relay accepts; resolves with the reply, or none if cut off. */
function sendRaw(lab: HostProcess, token: string, parts: Buffer[]): Promise<{ reply: string; cutOff: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(relayUrl(lab, token), { headers: { origin: lab.url } });
    let reply = '';
    let closed = false;
    ws.on('message', (data) => {
      reply += String(data);
      ws.close();
    });
    ws.once('close', () => {
      closed = true;
      resolve({ reply, cutOff: reply === '' });
    });
    ws.once('error', reject);
    ws.once('open', async () => {
      for (const part of parts) {
        for (let at = 0; at < part.length && !closed; at += 128 * 1024) {
          ws.send(part.subarray(at, at + 128 * 1024));
          while (ws.bufferedAmount > MB && !closed) await new Promise((r) => setTimeout(r, 5));
        }
      }
    });
  });
}

describe('memory one learner can make a hosted redis-server take', () => {
  it('SETRANGE, SETBIT and APPEND cannot make a value larger than proto-max-bulk-len; the server stays small', async () => {
    const lab = await host();
    const redis = await redisThrough(lab, await session(lab));
    await expect(redis.setrange('big', 300_000_000, 'x')).rejects.toThrow(/string exceeds maximum allowed size \(proto-max-bulk-len\)/);
    await expect(redis.setbit('bits', 4_000_000_000, 1)).rejects.toThrow(/bit offset is not an integer or out of range/);
    const chunk = 'y'.repeat(MB);
    await expect((async () => { for (let i = 0; i < 40; i++) await redis.append('grown', chunk); })()).rejects.toThrow(/proto-max-bulk-len/);
    expect(await redis.strlen('grown')).toBeLessThanOrEqual(8 * MB);

    const { pid, usedMemory } = await serverInfo(redis);
    expect(usedMemory).toBeLessThan(32 * MB);
    expect(peakRss(pid)).toBeLessThan(64 * MB);
    expect(await redis.ping()).toBe('PONG');
    expect(await healthy(lab)).toBe(true);
  });

  it('a Lua script building a huge table fails with "not enough memory", and scripts and pub/sub keep working', async () => {
    const lab = await host();
    const redis = await redisThrough(lab, await session(lab));
    await expect(redis.eval('local t = {} for i = 1, 1e7 do t[i] = i end return 1', 0)).rejects.toThrow(/not enough memory/);
    const { pid } = await serverInfo(redis);
    expect(peakRss(pid)).toBeLessThan(KERNEL_CAP);

    const limiter = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 60) end return n";
    expect(await redis.eval(limiter, 1, 'ratelimit:alice')).toBe(1);
    expect(await redis.eval(limiter, 1, 'ratelimit:alice')).toBe(2);
    const listener = redis.duplicate();
    cleanups.push(() => listener.disconnect());
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await listener.subscribe('chat');
    expect(await redis.publish('chat', 'still here')).toBe(1);
    await eventually(() => heard.length > 0, 'the message');
    expect(heard).toEqual(['still here']);
    expect((await serverInfo(redis)).pid).toBe(pid);
  });

  it('a script that fills its server up to the kernel cap takes down only that server: the host logs it and the next connection gets a fresh one', async () => {
    const lab = await host();
    const token = await session(lab);
    const redis = await redisThrough(lab, token);
    await redis.set('before', 'kept until the crash');
    const { pid } = await serverInfo(redis);
    // At most 4000 × 64 KB (256 MB), past the cap; then Redis itself must allocate for SET and cannot.
    const fill = "local keep = {} pcall(function() for i = 1, 4000 do keep[i] = string.rep('x', 65536) .. i end end) " +
      "redis.call('SET', 'k', ARGV[1]) return #keep";
    await expect(redis.eval(fill, 0, 'v'.repeat(MB))).rejects.toThrow(/closed/i);

    const exited = await eventually(() => lab.logs().find((entry) => entry.msg === 'redis session server exited'), 'the host to log the exit');
    expect(exited).toMatchObject({ level: 'warn', reason: expect.stringMatching(/Out Of Memory/) });
    expect(await healthy(lab)).toBe(true);

    const again = await redisThrough(lab, token);
    expect(await again.ping()).toBe('PONG');
    expect(await again.get('before')).toBeNull();
    expect((await serverInfo(again)).pid).not.toBe(pid);
    expect(lab.logs().filter((entry) => entry.msg === 'redis session server up').length).toBe(2);
  });

  it('a command with many large arguments is cut off at the clients\' memory cap; the server lives on, small', { timeout: 120_000 }, async () => {
    const lab = await host();
    const token = await session(lab);
    const redis = await redisThrough(lab, token);
    const { pid } = await serverInfo(redis);
    const value = Buffer.alloc(4 * MB, 'z');
    const args = Array.from({ length: 50 }, (_, i) => [`big:${i}`, value]).flat();
    const outcome = await sendRaw(lab, token, command('MSET', ...args));
    expect(outcome).toEqual({ reply: '', cutOff: true });
    expect(peakRss(pid)).toBeLessThan(128 * MB);
    expect((await serverInfo(redis)).pid).toBe(pid);
    expect(await redis.dbsize()).toBe(0);
  });
});

describe('the kernel limit without setpriv', () => {
  it('a redis-server started by the keeper gets the same data limit, set before the session is handed out', async () => {
    const sessions = new RedisSessions({ launcher: 'keeper', labRoot: tempDir('redis-limits-') });
    cleanups.push(() => sessions.close());
    const { server } = await sessions.connect(sessions.create().token);
    const redisPid = listBriefs().find((brief) => brief.ppid === server.pid)!.pid;
    const limits = fs.readFileSync(`/proc/${redisPid}/limits`, 'utf8');
    expect(/^Max data size\s+(\d+)\s+(\d+)/m.exec(limits)?.slice(1)).toEqual([String(KERNEL_CAP), String(KERNEL_CAP)]);
  });
});

describe('hosted Redis sessions per client', () => {
  it('a client gets 3 sessions by default and is told what to do about a fourth; ending one frees its place', async () => {
    const lab = await host();
    const tokens = [await session(lab), await session(lab), await session(lab)];
    const fourth = await postSession(lab);
    expect(fourth.status).toBe(429);
    expect(fourth.body.error).toMatch(/already has 3 hosted Redis sessions.*close another lab tab/i);

    // A proxy on this machine names the client in the last X-Forwarded-For entry (the address the proxy saw).
    for (let i = 0; i < 3; i++) await session(lab, { 'x-forwarded-for': '203.0.113.7' });
    expect((await postSession(lab, { 'x-forwarded-for': '10.9.9.9, 203.0.113.7' })).status).toBe(429);
    await session(lab, { 'x-forwarded-for': '203.0.113.7, 10.9.9.9' });

    expect((await endSession(lab, tokens[0]!)).status).toBe(204);
    await session(lab);
    expect((await postSession(lab)).status).toBe(429);
  });

  it('honours REDIS_RELAY_SESSIONS_PER_CLIENT, and a bad value stops the host with a readable error', async () => {
    const lab = await host({ REDIS_RELAY_SESSIONS_PER_CLIENT: '5' });
    for (let i = 0; i < 5; i++) await session(lab);
    expect((await postSession(lab)).status).toBe(429);
    for (const bad of ['lots', '0']) {
      const refused = await refusedHost({ LAB_ROOT: tempDir('redis-limits-'), REDIS_RELAY_SESSIONS_PER_CLIENT: bad });
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(`REDIS_RELAY_SESSIONS_PER_CLIENT must be a whole number above 0, got "${bad}"`);
    }
  });

  const outside = Object.values(os.networkInterfaces()).flat().find((info) => info?.family === 'IPv4' && !info.internal)?.address;
  it.skipIf(!outside)('X-Forwarded-For from a peer that is not this machine is ignored', async () => {
    const lab = await host({ HOST: outside!, LAB_JOIN_TOKEN: 'limits-class-7b' });
    const headers = (i: number) => ({ cookie: 'lab_join=limits-class-7b', 'x-forwarded-for': `198.51.100.${i}` });
    for (let i = 0; i < 3; i++) await session(lab, headers(i));
    expect((await postSession(lab, headers(9))).status).toBe(429);
  });
});

describe('hosted-Redis folders', () => {
  /** A pid no process has now. */
  function deadPid(): number {
    let pid = 3_999_999;
    while (readProcess(pid)) pid--;
    return pid;
  }

  it('live under LAB_ROOT named for their host; a host after a SIGKILLed one removes them, keeping live hosts\' and never following links', { timeout: 60_000 }, async () => {
    const labRoot = tempDir('redis-limits-');
    const first = await runHost({ LAB_ROOT: labRoot });
    await (await redisThrough(first, await session(first))).set('k', 'v');
    const firstDir = path.join(labRoot, `redis-host-${first.child.pid}-${readProcess(first.child.pid!)!.startTicks}`);
    expect(fs.readdirSync(firstDir)).toEqual([expect.stringMatching(/^session-/)]);

    const outsideDir = tempDir('redis-limits-outside-');
    fs.writeFileSync(path.join(outsideDir, 'keep.txt'), 'not the host\'s');
    const dead = deadPid();
    const linked = path.join(labRoot, `redis-host-${dead}-5`);
    fs.symlinkSync(outsideDir, linked);
    const staleWithLink = path.join(labRoot, `redis-host-${dead}-7`);
    fs.mkdirSync(path.join(staleWithLink, 'session-x'), { recursive: true });
    fs.symlinkSync(outsideDir, path.join(staleWithLink, 'session-x', 'link'));
    const live = path.join(labRoot, `redis-host-${process.pid}-${readProcess(process.pid)!.startTicks}`);
    fs.mkdirSync(live);

    first.child.kill('SIGKILL');
    await first.exited;
    expect(fs.existsSync(firstDir)).toBe(true);

    const second = await runHost({ LAB_ROOT: labRoot });
    expect(fs.existsSync(firstDir)).toBe(false);
    expect(fs.existsSync(staleWithLink)).toBe(false);
    expect(fs.lstatSync(linked).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(outsideDir, 'keep.txt'), 'utf8')).toBe('not the host\'s');
    expect(fs.existsSync(live)).toBe(true);
    expect(second.logs().find((entry) => entry.msg === 'cleared labs left by a host that stopped abruptly')).toMatchObject({ level: 'warn', redisDirs: 2 });

    // A host that stops normally leaves nothing.
    await (await redisThrough(second, await session(second))).ping();
    const secondDir = path.join(labRoot, `redis-host-${second.child.pid}-${readProcess(second.child.pid!)!.startTicks}`);
    expect(fs.existsSync(secondDir)).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(fs.existsSync(secondDir)).toBe(false);
  });
});
