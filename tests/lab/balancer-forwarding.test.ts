/**
 * The balancer as a production TLS-terminating proxy (an ALB, nginx): it tells the app the protocol, port, host and
 * client address with X-Forwarded-* headers (on plain requests and on WebSocket upgrades, replacing what a client
 * claims under those names), so Express with `trust proxy` sees an https request and express-session sends its
 * Secure cookie; and it cuts a request only after its read timeout of silence from the instance, not after a fixed
 * time. Real supervisor, instances, Redis and sockets. The slow cases run concurrently, on two labs started once.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { CookieJar } from '../../playground/lab/cookie-jar.js';
import { LabProcess } from '../../playground/server/lab-process.ts';
import type { LabEvent, LabEventOf } from '../../playground/protocol/lab-events.ts';
import type { CommandOf } from '../../playground/protocol/lab-commands.ts';
import { eventOf, eventually, PACKAGE_JSON } from './helpers.ts';

/** A client address the balancer sees that is neither its own nor the instances' (all of 127/8 is loopback). */
const CLIENT = '127.0.0.5';

const APP = [
  PACKAGE_JSON,
  {
    path: 'server.js',
    content: `import http from 'node:http';
import express from 'express';
import session from 'express-session';
import { WebSocketServer } from 'ws';

const id = process.env.INSTANCE_ID;
/** The same app twice, with and without trust proxy; each keeps its sessions in memory. */
function site(trust) {
  const app = express();
  if (trust) app.set('trust proxy', 1);
  app.use(express.json());
  app.use(session({ secret: 'forwarding-test', resave: false, saveUninitialized: false, cookie: { secure: true, httpOnly: true, sameSite: 'lax' } }));
  app.get('/seen', (req, res) => res.json({ instance: id, headers: req.headers, protocol: req.protocol, secure: req.secure, ip: req.ip, hostname: req.hostname }));
  app.post('/login', (req, res) => { req.session.user = req.body.user; res.json({ ok: true }); });
  app.get('/me', (req, res) => res.json({ user: req.session.user ?? null }));
  return app;
}
const trusted = site(true);
const untrusted = site(false);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/wait') { setTimeout(() => res.end('waited ' + url.searchParams.get('ms')), Number(url.searchParams.get('ms'))); return; }
  if (url.pathname === '/silent') return; // never answers
  if (url.pathname === '/big') { res.end(Buffer.alloc(16 * 1024 * 1024, 'x')); return; } // all at once
  if (url.pathname === '/stall') { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('partial'); return; } // starts, then nothing
  if (url.pathname === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => { res.write('.'); if (++sent === 8) { clearInterval(timer); res.end('done'); } }, 500);
    return;
  }
  if (url.pathname.startsWith('/untrusted/')) { req.url = req.url.slice('/untrusted'.length); untrusted(req, res); return; }
  trusted(req, res);
});
new WebSocketServer({ server, path: '/ws' }).on('connection', (socket, req) => {
  socket.send(JSON.stringify({ instance: id, headers: req.headers }));
  socket.on('message', (m) => socket.send('echo ' + m));
});
server.listen(Number(process.env.PORT));
`,
  },
];

interface Lab {
  lab: LabProcess;
  events: LabEvent[];
  port: number;
}

async function startLab(env: Record<string, string>, start: Omit<CommandOf<'start'>, 'type'>): Promise<Lab> {
  const lab = await LabProcess.create({ files: APP, env });
  const events: LabEvent[] = [];
  lab.on('event', (event) => events.push(event));
  await lab.send({ type: 'start', ...start });
  return { lab, events, port: lab.balancerPort };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
  /** false when the balancer cut the answer after it had begun */
  complete: boolean;
}

/** One request from CLIENT, on its own connection; resolves even when the answer is cut short. */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, localAddress: CLIENT, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started, complete: res.complete }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = <T = Record<string, unknown>>(reply: Reply) => JSON.parse(reply.body) as T;
const setCookies = (reply: Reply) => [reply.headers['set-cookie'] ?? []].flat();

/** A virtual user's command, and the `user` event it produced. */
async function user(lab: Lab, command: Omit<CommandOf<'user'>, 'type'>): Promise<LabEventOf<'user'>> {
  await lab.lab.send({ type: 'user', ...command });
  const event = lab.events.filter(eventOf('user', (e) => e.user === command.user)).at(-1);
  if (!event) throw new Error(`no user event for ${JSON.stringify(command)}`);
  return event;
}

/** What a client would put in X-Forwarded-* to pass itself off as something else. */
const SPOOFED = {
  'x-forwarded-proto': 'http',
  'x-forwarded-port': '80',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-for': '203.0.113.9',
  forwarded: 'for=198.51.100.1;proto=http',
};

let main: Lab;
/** The same app with a read timeout of 1.5 s. */
let short: Lab;

beforeAll(async () => {
  [main, short] = await Promise.all([
    startLab({}, { instances: 2, strategy: 'sticky' }),
    startLab({ LAB_PROXY_READ_TIMEOUT_MS: '1500' }, { instances: 1 }),
  ]);
});

afterAll(async () => {
  await Promise.all([main?.lab.destroy(), short?.lab.destroy()]);
});

describe('the balancer as a TLS-terminating proxy', () => {
  it.concurrent('answers a request that takes 12 s (longer than the old fixed 10 s cut)', { timeout: 30_000 }, async ({ expect }) => {
    const reply = await send(main.port, '/wait?ms=12000');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('waited 12000');
    expect(reply.ms).toBeGreaterThanOrEqual(12_000);
  });

  it.concurrent('with LAB_PROXY_READ_TIMEOUT_MS=1500, an answer that keeps coming in pieces 0.5 s apart is not cut', async ({ expect }) => {
    const reply = await send(short.port, '/trickle');
    expect(reply).toMatchObject({ status: 200, body: '........done', complete: true });
    expect(reply.ms).toBeGreaterThan(3500);
  });

  it.concurrent('with LAB_PROXY_READ_TIMEOUT_MS=1500, a silent instance gets a 504 saying what the balancer saw', async ({ expect }) => {
    const reply = await send(short.port, '/silent');
    expect(reply.status).toBe(504);
    expect(reply.headers['content-type']).toMatch(/text\/plain/);
    expect(reply.body.trim()).toBe('Instance A sent nothing for 1.5 s after the request, so the balancer gave up (its read timeout).');
    expect(reply.ms).toBeGreaterThanOrEqual(1400);
    expect(reply.ms).toBeLessThan(5000);
    const report = await eventually(() => short.events.find((e) => e.type === 'request' && e.path === '/silent'), 'the request report');
    expect(report).toMatchObject({ instance: 'A', status: 504 });
  });

  it.concurrent('with LAB_PROXY_READ_TIMEOUT_MS=1500, an answer that stops half-way is cut 1.5 s after its last piece', async ({ expect }) => {
    const reply = await send(short.port, '/stall');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('partial');
    expect(reply.complete).toBe(false);
    expect(reply.ms).toBeGreaterThanOrEqual(1400);
    expect(reply.ms).toBeLessThan(5000);
  });

  it.concurrent('with LAB_PROXY_READ_TIMEOUT_MS=1500, a client that takes 3 s to start reading a large answer still gets all of it', async ({ expect }) => {
    const received = await new Promise<{ bytes: number; complete: boolean }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: short.port, path: '/big', agent: false }, (res) => {
        res.pause();
        setTimeout(() => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('error', () => undefined);
          res.on('close', () => resolve({ bytes, complete: res.complete }));
          res.resume();
        }, 3000);
      }).on('error', reject);
    });
    // The instance sent everything at once; the silence was the client's, so the read timeout does not apply.
    expect(received).toEqual({ bytes: 16 * 1024 * 1024, complete: true });
  });

  it.concurrent('a request body over 1 MB gets the 413 that says so, not a reset connection', async ({ expect }) => {
    const reply = await send(short.port, '/seen', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(3 * 1024 * 1024) });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatch(/larger than 1024 KB/);
    expect(reply.headers.connection).toBe('close');
  });

  it.concurrent('a WebSocket spliced through the balancer outlives the read timeout and the keep-alive timeout', { timeout: 20_000 }, async ({ expect }) => {
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`ws://127.0.0.1:${short.port}/ws`);
    const messages: string[] = [];
    let closed = false;
    socket.on('message', (m) => messages.push(String(m)));
    socket.on('close', () => (closed = true));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    // Idle for longer than the read timeout (1.5 s) and the balancer's keep-alive timeout (5 s).
    await new Promise((r) => setTimeout(r, 6000));
    expect(closed).toBe(false);
    socket.send('still there?');
    const deadline = Date.now() + 3000;
    while (!messages.includes('echo still there?') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    socket.close();
    expect(messages).toContain('echo still there?');
  });

  it.concurrent('HTTP: the app gets X-Forwarded-Proto https, -Port 443, -Host and -For, whatever the client claimed', async ({ expect }) => {
    const plain = json<{ headers: Record<string, string> }>(await send(main.port, '/seen'));
    expect(plain.headers).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-host': `127.0.0.1:${main.port}`, 'x-forwarded-for': CLIENT });

    const spoofed = json<{ headers: Record<string, string> }>(await send(main.port, '/seen', { headers: { ...SPOOFED, host: 'shop.example' } }));
    expect(spoofed.headers['x-forwarded-proto']).toBe('https');
    expect(spoofed.headers['x-forwarded-port']).toBe('443');
    expect(spoofed.headers['x-forwarded-host']).toBe('shop.example');
    // Appended, as every proxy does: the entry the balancer adds is the one it saw.
    expect(spoofed.headers['x-forwarded-for']).toBe(`203.0.113.9, ${CLIENT}`);
    expect(spoofed.headers.forwarded).toBeUndefined();
  });

  it.concurrent('HTTP: Express with trust proxy 1 sees https, secure and the client address; without it, the balancer', async ({ expect }) => {
    type Seen = { protocol: string; secure: boolean; ip: string; hostname: string };
    const trusted = json<Seen>(await send(main.port, '/seen', { headers: { ...SPOOFED, host: 'shop.example' } }));
    expect(trusted).toMatchObject({ protocol: 'https', secure: true, ip: CLIENT, hostname: 'shop.example' });
    const untrusted = json<Seen>(await send(main.port, '/untrusted/seen', { headers: SPOOFED }));
    expect(untrusted.protocol).toBe('http');
    expect(untrusted.secure).toBe(false);
    expect(untrusted.ip).toMatch(/127\.0\.0\.1$/);
  });

  it.concurrent('WebSocket upgrade: the same forwarded headers, spoofed ones replaced, and none of the lab\'s own', async ({ expect }) => {
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`ws://127.0.0.1:${main.port}/ws`, { localAddress: CLIENT, headers: { ...SPOOFED, cookie: 'lab_instance=A; theme=dark' } });
    let servedBy: string | undefined;
    socket.on('upgrade', (response) => (servedBy = response.headers['x-served-by'] as string | undefined));
    const first = await new Promise<string>((resolve, reject) => {
      socket.once('message', (m) => resolve(String(m)));
      socket.once('error', reject);
    });
    socket.close();
    const seen = JSON.parse(first) as { instance: string; headers: Record<string, string> };
    expect(seen.instance).toBe(servedBy);
    expect(seen.headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      'x-forwarded-host': `127.0.0.1:${main.port}`,
      'x-forwarded-for': `203.0.113.9, ${CLIENT}`,
      cookie: 'theme=dark',
    });
    expect(seen.headers.forwarded).toBeUndefined();
    expect(Object.keys(seen.headers).filter((name) => name.startsWith('x-lab-') || name === 'x-served-by')).toEqual([]);
  });

  it.concurrent('express-session with a Secure cookie and trust proxy: the cookie comes through and a virtual user keeps and sends it', async ({ expect }) => {
    const login = await send(main.port, '/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"dora"}' });
    expect(login.status).toBe(200);
    expect(setCookies(login).find((c) => c.startsWith('connect.sid='))).toMatch(/; Secure/);

    expect(await user(main, { user: 'alice', action: 'login' })).toMatchObject({ status: 200, loggedIn: true });
    expect(await user(main, { user: 'alice', action: 'visit' })).toMatchObject({ status: 200, loggedIn: true, named: 'alice' });
  });

  it.concurrent('express-session with a Secure cookie and no trust proxy sends no cookie: the login does not stick', async ({ expect }) => {
    const login = await send(main.port, '/untrusted/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"dora"}' });
    expect(login.status).toBe(200);
    expect(setCookies(login).filter((c) => c.startsWith('connect.sid='))).toEqual([]);

    const bobLogin = await user(main, { user: 'bob', action: 'request', method: 'POST', path: '/untrusted/login', body: { user: 'bob' } });
    expect(bobLogin.status).toBe(200);
    const me = await user(main, { user: 'bob', action: 'request', method: 'GET', path: '/untrusted/me' });
    expect(me.status).toBe(200);
    expect(JSON.parse(String(me.body))).toEqual({ user: null });
  });

  it.concurrent('the sticky affinity cookie fits an https site: kept by the https cookie jar, HttpOnly, whole site, never shown to the app', async ({ expect }) => {
    const first = await send(main.port, '/seen');
    const affinity = setCookies(first).find((c) => c.startsWith('lab_instance='));
    expect(affinity).toBe(`lab_instance=${first.headers['x-served-by']}; Path=/; HttpOnly; SameSite=Lax`);
    const jar = new CookieJar();
    jar.store(setCookies(first), '/seen');
    const cookie = jar.header('/some/other/page');
    expect(cookie).toBe(`lab_instance=${first.headers['x-served-by']}`);
    const pinned = await Promise.all(Array.from({ length: 4 }, () => send(main.port, '/seen', { headers: { cookie } })));
    for (const reply of pinned) {
      expect(reply.headers['x-served-by']).toBe(first.headers['x-served-by']);
      expect(json<{ headers: Record<string, string> }>(reply).headers.cookie).toBeUndefined();
    }
  });
});
