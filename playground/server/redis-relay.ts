/**
 * The Redis relay: how a lab running in the learner's tab (a WebContainer, which cannot open TCP connections to
 * the outside) reaches a real Redis on the lab host.
 *
 *   POST   /redis-relay/session   (page's own origin) → 201 { token, relay, backend, maxmemory, idleSeconds }
 *   GET    /redis-relay/session   Authorization: Bearer <token> → 204 while the session lives, else 404
 *   DELETE /redis-relay/session   Authorization: Bearer <token> → 204; the session's Redis is stopped
 *   GET    /redis-relay?token=…   WebSocket upgrade: one WebSocket carries one TCP connection, as binary frames
 *
 * Each WebSocket is joined to a new TCP connection to that session's own redis-server, and to nothing else: the
 * address comes from the session, never from the request. The relay logs in with the session's password first
 * and strips the reply, so the learner's client sees a plain Redis that needs no password.
 */
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { bearerToken, hasJoined, originAllowed, refuseUpgrade } from './access.ts';
import { isLoopback } from './host-config.ts';
import { memoryBytes, RedisSessionError, RedisSessions, type HostedRedis, type RedisSessionOptions } from './redis-sessions.ts';
import { isolationHeaders } from './static-site.ts';
import { LOOPBACK_ONLY, misdirectedMessage, type HostNames } from './host-names.ts';

export { reapStaleRedisDirs } from './redis-sessions.ts';

export const RELAY_PATH = '/redis-relay';
export const RELAY_SESSION_PATH = '/redis-relay/session';

export interface RedisRelayOptions extends RedisSessionOptions {
  /** Origins allowed besides the host's own (e.g. a dev server). */
  allowedOrigins?: string[];
  /** The class's join token, when the host has one: only a browser that opened the join link gets a session. */
  joinToken?: string;
  /** The names this host serves (see host-names.ts); loopback names only when left out. */
  hostNames?: HostNames;
  log?: (entry: { msg: string; [key: string]: unknown }) => void;
}

/** What POST /redis-relay/session answers. */
export interface RelaySessionInfo {
  token: string;
  /** Path of the WebSocket endpoint on the same host. */
  relay: string;
  backend: 'redis-server';
  maxmemory: string;
  idleSeconds: number;
}

/**
 * Relay settings from the lab host's environment; undefined when REDIS_RELAY=off. Throws a readable error for a
 * malformed value, and for REDIS_RELAY=namespace: sharing one external Redis between learners is refused because
 * this relay cannot guarantee their isolation there (docs/redis-relay.md).
 */
export function relayOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RedisRelayOptions | undefined {
  const mode = env.REDIS_RELAY || 'on';
  if (mode === 'off') return undefined;
  if (mode === 'namespace') {
    throw new Error(
      'REDIS_RELAY=namespace is not supported: on one shared Redis (REDIS_URL) the relay cannot keep learners\' keys and ' +
        'pub/sub channels apart without rewriting every command, so it never shares it. Install redis-server (each ' +
        'in-browser lab then gets its own) or set REDIS_RELAY=off. Why: docs/redis-relay.md.',
    );
  }
  if (mode !== 'on') throw new Error(`REDIS_RELAY must be on or off, got "${mode}"`);
  const whole = (name: string, scale = 1): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0, got "${raw}"`);
    return value * scale;
  };
  const maxmemory = env.REDIS_RELAY_MAXMEMORY || undefined;
  if (maxmemory && !/^\d+(kb|mb|gb)?$/i.test(maxmemory)) throw new Error(`REDIS_RELAY_MAXMEMORY must look like 32mb, got "${maxmemory}"`);
  if (maxmemory && memoryBytes(maxmemory) < 1024 * 1024) throw new Error(`REDIS_RELAY_MAXMEMORY must be at least 1mb, got "${maxmemory}"`);
  return {
    maxmemory,
    idleMs: whole('REDIS_RELAY_IDLE_SECONDS', 1000),
    maxSessions: whole('REDIS_RELAY_MAX_SESSIONS'),
    maxSessionsPerClient: whole('REDIS_RELAY_SESSIONS_PER_CLIENT'),
    maxConnections: whole('REDIS_RELAY_MAX_CONNECTIONS'),
  };
}

/**
 * Who is asking, for the per-client cap: the TCP peer's address or, when the peer is this machine and sends
 * X-Forwarded-For (a reverse proxy here), that header's last entry: the address the proxy itself saw.
 */
export function clientAddress(req: http.IncomingMessage): string {
  const peer = plainAddress(req.socket.remoteAddress ?? 'unknown');
  const forwarded = req.headers['x-forwarded-for'];
  if (!isLoopback(peer) || !forwarded) return peer;
  const last = plainAddress((Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',').at(-1)!.trim());
  return last || peer;
}

/** An IPv4 address as itself rather than IPv4-mapped IPv6 (::ffff:10.0.0.5). */
const plainAddress = (address: string) => address.replace(/^::ffff:(?=\d+\.)/i, '');

const AUTH_OK = Buffer.from('+OK\r\n');
/** Pause reading from Redis while this much is waiting to go out on the WebSocket. */
const HIGH_WATER = 1024 * 1024;

export function attachRedisRelay(server: http.Server, options: RedisRelayOptions = {}) {
  const log = options.log ?? (() => undefined);
  const sessions = new RedisSessions(options, log);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024, perMessageDeflate: false });
  if (!RedisSessions.available()) log({ msg: 'redis relay: no redis-server on PATH, so in-browser labs use the JavaScript Redis in their sandbox' });
  if (process.env.REDIS_URL) log({ msg: 'redis relay: REDIS_URL is not offered to in-browser labs; each relay session gets its own redis-server (docs/redis-relay.md)' });

  const names = options.hostNames ?? LOOPBACK_ONLY;
  const allowed = (req: http.IncomingMessage) => originAllowed(req.headers.origin, req.headers.host, options.allowedOrigins);

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      upgrade(req, socket, head);
    } catch (error) {
      log({ msg: 'malformed redis relay connection', error: (error as Error).message });
      refuseUpgrade(socket, 400, 'This request could not be read.');
    }
  });

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname !== RELAY_PATH) return;
    if (!names.allows(req.headers.host)) return refuseUpgrade(socket, 421, misdirectedMessage(names, req.headers.host));
    if (!allowed(req)) {
      log({ msg: 'refused redis relay connection', reason: 'origin', origin: req.headers.origin ?? null });
      return refuseUpgrade(socket, 403, 'This relay only accepts pages served by this lab host.');
    }
    const token = url.searchParams.get('token') ?? '';
    if (!sessions.get(token)) return refuseUpgrade(socket, 401, 'Unknown or ended Redis session.');
    sessions.connect(token).then(
      ({ server: redis, release }) => {
        if (socket.destroyed) return release();
        // A handshake that ws rejects (bad headers) never reaches the callback: count the connection out anyway.
        let upgraded = false;
        socket.once('close', () => upgraded || release());
        wss.handleUpgrade(req, socket, head, (ws) => {
          upgraded = true;
          relay(ws, redis, release);
        });
      },
      (error: Error) => refuseUpgrade(socket, error instanceof RedisSessionError ? error.status : 500, error.message),
    );
  }

  /** Answer the session endpoint; returns true when the request was for it. */
  function answer(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname !== RELAY_SESSION_PATH) return false;
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, { ...isolationHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    req.resume();
    // Browsers send no Origin on a same-origin GET; asking whether a session lives needs its token anyway.
    if (req.method !== 'GET' && !allowed(req)) {
      reply(403, { error: 'This relay only accepts pages served by this lab host.' });
      return true;
    }
    if (req.method === 'POST') {
      if (!hasJoined(req, options.joinToken)) {
        reply(401, { error: "This lab host needs your class's join link; ask your teacher for it." });
        return true;
      }
      const client = clientAddress(req);
      try {
        const { token } = sessions.create(client);
        const info: RelaySessionInfo = {
          token, relay: RELAY_PATH, backend: 'redis-server', maxmemory: sessions.limits.maxmemory, idleSeconds: Math.round(sessions.limits.idleMs / 1000),
        };
        reply(201, info);
      } catch (error) {
        const status = error instanceof RedisSessionError ? error.status : 500;
        if (status === 429) log({ level: 'warn', msg: 'refused redis session', reason: 'sessions per client', client });
        reply(status, { error: (error as Error).message });
      }
    } else if (req.method === 'GET' || req.method === 'DELETE') {
      const token = bearerToken(req);
      const alive = req.method === 'GET' ? Promise.resolve(sessions.get(token) !== undefined) : sessions.end(token);
      void alive.then((found) => (found ? reply(204) : reply(404, { error: 'Unknown or ended Redis session.' })));
    } else {
      res.setHeader('allow', 'POST, GET, DELETE');
      reply(405, { error: 'Use POST to create a Redis session, GET to see whether it lives and DELETE to end it.' });
    }
    return true;
  }

  return {
    sessions,
    answer,
    async close(): Promise<void> {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await sessions.close();
    },
  };
}

/** Join one WebSocket to a new connection to the session's Redis. */
function relay(ws: WebSocket, redis: HostedRedis, release: () => void): void {
  const upstream = net.connect(redis.port, '127.0.0.1');
  upstream.setNoDelay(true);
  // Log in first; Redis answers commands in order, so the learner's bytes can follow straight away.
  upstream.write(`*2\r\n$4\r\nAUTH\r\n$${redis.password.length}\r\n${redis.password}\r\n`);
  let greeting: Buffer | undefined = Buffer.alloc(0);

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    // A socket paused for backpressure would never read the client's answer to the close, and linger 30 s.
    ws.resume();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
    release();
  };

  ws.on('message', (data: RawData) => {
    if (closed) return;
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!upstream.write(chunk)) ws.pause();
  });
  upstream.on('drain', () => ws.resume());

  upstream.on('data', (chunk: Buffer) => {
    if (greeting) {
      greeting = Buffer.concat([greeting, chunk]);
      if (greeting.length < AUTH_OK.length) return;
      if (!greeting.subarray(0, AUTH_OK.length).equals(AUTH_OK)) return close();
      chunk = greeting.subarray(AUTH_OK.length);
      greeting = undefined;
      if (chunk.length === 0) return;
    }
    ws.send(chunk, { binary: true }, () => {
      if (ws.bufferedAmount < HIGH_WATER / 2 && upstream.isPaused()) upstream.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) upstream.pause();
  });

  upstream.on('error', close);
  upstream.on('close', close);
  ws.on('error', close);
  ws.on('close', close);
}

