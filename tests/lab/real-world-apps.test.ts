/**
 * Real-world apps in real labs, each written the way its libraries document it: socket.io on a bare http server
 * with the Redis adapter, socket.io on express, node:cluster inside one instance, and express-rate-limit with its
 * Redis store. The lab must run them as a production platform would (they come up, stay healthy, their traffic
 * goes through the balancer) and clean up after them.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { LabEvent } from '../../playground/protocol/lab-events.ts';
import { loadLesson, loadVariants } from '../../playground/course/lessons.ts';
import type { LabFile } from '../../playground/protocol/lab-file.ts';
import { eventOf, eventually, get, PACKAGE_JSON, startLab, type ProcessOf, type TestLab } from './helpers.ts';

const serverJs = (content: string): LabFile[] => [PACKAGE_JSON, { path: 'server.js', content }];

/** socket.io's documented standalone form: an http server with no request handler of its own, the Redis adapter. */
const BARE_SOCKET_IO = serverJs(`import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';

const instance = process.env.INSTANCE_ID;
const pubClient = new Redis(process.env.REDIS_URL);
const subClient = pubClient.duplicate();

const httpServer = createServer();
const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient) });

io.on('connection', (socket) => {
  socket.emit('hello', instance);
  socket.on('whoami', (ack) => ack(instance));
  // Broadcast to every client of every instance: the adapter carries it over Redis.
  socket.on('chat', (text) => io.emit('chat', { text, from: instance }));
});

httpServer.listen(Number(process.env.PORT));
`);

/** socket.io sharing an http server with an express app, as socket.io's express guide shows. */
const EXPRESS_SOCKET_IO = serverJs(`import { createServer } from 'node:http';
import express from 'express';
import { Server } from 'socket.io';

const instance = process.env.INSTANCE_ID;
const app = express();
const server = createServer(app);
const io = new Server(server);

app.get('/api/hello', (req, res) => {
  res.json({ instance, message: 'Hello!' });
});

io.on('connection', (socket) => {
  socket.emit('hello', instance);
  socket.on('whoami', (ack) => ack(instance));
});

server.listen(Number(process.env.PORT), () => console.log('instance ' + instance + ' listening'));
`);

/** node:cluster as its documentation shows it: the primary forks two workers that share the instance's port. */
const CLUSTER_APP = serverJs(`import cluster from 'node:cluster';
import http from 'node:http';

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on('exit', (worker) => {
    if (!worker.exitedAfterDisconnect) cluster.fork();
  });
} else {
  http
    .createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ instance: process.env.INSTANCE_ID, pid: process.pid, parent: process.ppid }));
    })
    .listen(Number(process.env.PORT));
}
`);

/** The supervisor probes every instance once a second and calls it unhealthy after two failed probes (1.5 s each). */
const HEALTH_ROUNDS_MS = 4500;

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** A socket.io client through the balancer; resolves once the server has said which instance holds it. */
function client(port: number, options: Partial<ManagerOptions & SocketOptions>): Promise<{ socket: Socket; instance: string }> {
  const socket = connect(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, timeout: 5000, ...options });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('hello', (instance: string) => resolve({ socket, instance }));
    socket.once('connect_error', (error) => reject(new Error(`socket.io client could not connect: ${error.message}`)));
  });
}

/** The next `event` on `socket`, within `ms`. */
function next<T>(socket: Socket, event: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    socket.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** "A up, B up, C up", with the reason of any instance that is not up. */
function instanceStates(events: LabEvent[]): string {
  const latest = new Map<string, ProcessOf<'instance'>>();
  for (const e of events) if (e.type === 'process' && e.role === 'instance') latest.set(String(e.name), e);
  return [...latest.values()].map((e) => `${String(e.name)} ${String(e.state)}${e.state === 'up' ? '' : ` (${String(e.reason)})`}`).join(', ');
}

/**
 * Resolves with the first instance event after now that leaves "up" (unhealthy, crashed, stopping…) within
 * HEALTH_ROUNDS_MS, or undefined if all of them stayed up that long.
 */
function troubleWithin(lab: TestLab['lab'], ms = HEALTH_ROUNDS_MS): Promise<LabEvent | undefined> {
  return lab.waitFor((e) => e.type === 'process' && e.role === 'instance' && e.state !== 'up', ms).catch(() => undefined);
}

/** Gone: no such process, or a zombie (it has exited and only waits for init to collect its status). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe('real-world apps in the lab', () => {
  it('socket.io on a bare http server with the Redis adapter: all instances stay up, WebSocket clients on different instances hear each other', { timeout: 40_000 }, async () => {
    const { lab, events } = await startLab(BARE_SOCKET_IO);
    expect(instanceStates(events)).toBe('A up, B up, C up');
    const trouble = troubleWithin(lab);

    // Three WebSocket clients, three turns of the round-robin: one on each instance.
    const clients = await Promise.all([0, 1, 2].map(() => client(lab.balancerPort, { transports: ['websocket'] })));
    expect(clients.map((c) => c.instance).sort()).toEqual(['A', 'B', 'C']);
    expect(events.filter(eventOf('request', (e) => e.method === 'UPGRADE' && e.status === 101)).map((e) => e.instance).sort()).toEqual(['A', 'B', 'C']);
    for (const c of clients) expect(await c.socket.timeout(2000).emitWithAck('whoami')).toBe(c.instance);

    // One speaks; the clients held by the two other instances hear it through Redis.
    const [speaker, ...others] = clients;
    const heard = others.map((c) => next<{ text: string; from: string }>(c.socket, 'chat'));
    speaker!.socket.emit('chat', 'hello from ' + speaker!.instance);
    for (const message of await Promise.all(heard)) expect(message).toEqual({ text: `hello from ${speaker!.instance}`, from: speaker!.instance });

    // Through a few health rounds, no instance was killed, stopped or called unhealthy.
    expect(await trouble).toBeUndefined();
    expect(instanceStates(events)).toBe('A up, B up, C up');
  });

  it('socket.io on a bare http server, long-polling behind the sticky strategy: each client keeps its instance and events cross instances', { timeout: 40_000 }, async () => {
    const { lab, events } = await startLab(BARE_SOCKET_IO, { start: { strategy: 'sticky' } });
    expect(instanceStates(events)).toBe('A up, B up, C up');

    // withCredentials: engine.io-client keeps the cookies in Node, the balancer's affinity cookie included.
    const polling: Partial<ManagerOptions & SocketOptions> = { transports: ['polling'], withCredentials: true };
    const [alice, bob] = await Promise.all([client(lab.balancerPort, polling), client(lab.balancerPort, polling)]);
    expect(alice!.socket.io.engine.transport.name).toBe('polling');
    expect(alice!.instance).not.toBe(bob!.instance);

    // Every POST of an emit and every poll of an answer must reach the instance holding the session.
    for (let i = 0; i < 3; i++) {
      expect(await alice!.socket.timeout(2000).emitWithAck('whoami')).toBe(alice!.instance);
      expect(await bob!.socket.timeout(2000).emitWithAck('whoami')).toBe(bob!.instance);
    }
    const heard = next<{ text: string; from: string }>(bob!.socket, 'chat');
    alice!.socket.emit('chat', 'over polling');
    expect(await heard).toEqual({ text: 'over polling', from: alice!.instance });

    const polls = events.filter(eventOf('request', (e) => String(e.path).startsWith('/socket.io/')));
    expect(polls.filter((e) => e.status !== 200).map((e) => `${String(e.method)} ${String(e.path)} → ${String(e.status)} from ${String(e.instance)}`)).toEqual([]);
    expect(new Set(polls.map((e) => e.instance))).toEqual(new Set([alice!.instance, bob!.instance]));
    expect(alice!.socket.connected && bob!.socket.connected).toBe(true);
  });

  it('socket.io on express: the HTTP route and the socket both work through the balancer', { timeout: 30_000 }, async () => {
    const { lab, events } = await startLab(EXPRESS_SOCKET_IO, { start: { instances: 2 } });
    expect(instanceStates(events)).toBe('A up, B up');

    const [answers, clients] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, () => get(lab.balancerPort, '/api/hello'))),
      Promise.all([0, 1].map(() => client(lab.balancerPort, { transports: ['websocket'] }))),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ instance: answer.servedBy, message: 'Hello!' });
    }
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set(['A', 'B']));
    expect(clients.map((c) => c.instance).sort()).toEqual(['A', 'B']);
    for (const c of clients) expect(await c.socket.timeout(2000).emitWithAck('whoami')).toBe(c.instance);

    // socket.io's own HTTP side (a polling handshake) is answered next to express's routes.
    const handshake = await get(lab.balancerPort, '/socket.io/?EIO=4&transport=polling');
    expect(handshake.status).toBe(200);
    expect(handshake.body).toMatch(/^0\{"sid":"/);
  });

  it('node:cluster inside one instance: both workers answer through the balancer, and killing the instance leaves no worker behind', { timeout: 30_000 }, async () => {
    const { lab, events, waitForState } = await startLab(CLUSTER_APP, { start: { instances: 1 } });
    expect(instanceStates(events)).toBe('A up');
    const primary = Number([...events].reverse().find((e): e is ProcessOf<'instance'> => e.type === 'process' && e.role === 'instance' && e.name === 'A' && e.state === 'up')?.pid);
    expect(primary).toBeGreaterThan(0);

    // Parallel requests open several connections to the instance; its primary hands them to the workers in turn.
    const workers = new Map<number, number>();
    await eventually(async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => get(lab.balancerPort, '/')));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        const { instance, pid, parent } = JSON.parse(answer.body) as { instance: string; pid: number; parent: number };
        expect(instance).toBe('A');
        workers.set(pid, parent);
      }
      return workers.size >= 2;
    }, 'answers from two different worker processes', 8000);
    expect(workers.size).toBe(2);
    for (const [pid, parent] of workers) {
      expect(pid).not.toBe(primary);
      expect(parent).toBe(primary);
    }

    await lab.send({ type: 'instance', name: 'A', action: 'kill' });
    await waitForState('A', 'stopped');
    await eventually(() => [...workers.keys()].every(gone), 'both workers to exit once their primary is killed', 5000);
    expect([...workers.keys()].filter((pid) => !gone(pid))).toEqual([]);
  });

  it('express-rate-limit with its Redis store behind the balancer: no validation warnings, and a forged X-Forwarded-For buys no extra requests', { timeout: 30_000 }, async () => {
    const lesson = await loadLesson('counters');
    const variant = (await loadVariants(lesson)).find((v) => v.name === 'express-rate-limit-redis');
    expect(variant).toBeDefined();
    const { lab, events } = await startLab(variant!.files);
    expect(instanceStates(events)).toBe('A up, B up, C up');

    // No API key: the client is its address, which `trust proxy` 1 takes from the balancer's own hop. Each request
    // claims another address of its own in X-Forwarded-For; the balancer appends the real one, which is what counts.
    const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => get(lab.balancerPort, '/api/quote', { 'x-forwarded-for': `203.0.113.${i + 1}` })));
    const served = answers.filter((a) => a.status === 200);
    expect(served.length, answers.map((a) => `${a.status} ${a.servedBy}`).join(', ')).toBe(10);
    expect(answers.filter((a) => a.status === 429).length).toBe(5);
    const refused = answers.find((a) => a.status === 429)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit-policy']).toMatch(/q=10; w=3/);

    // express-rate-limit reports misconfigurations (trust proxy, keyGenerator, headers) on the console.
    const logs = events.filter(eventOf('log', (e) => /ERR_ERL_|WRN_ERL_|ValidationError/.test(String(e.text)))).map((e) => `${String(e.name)}: ${String(e.text)}`);
    expect(logs).toEqual([]);
  });
});
