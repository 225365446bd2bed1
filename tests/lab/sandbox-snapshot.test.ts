// The sandbox snapshot (what the in-browser runtime mounts instead of running npm install): build it, unpack it
// into a bare folder with nothing else around, and check that the lab really runs from there — every dependency
// loads, the pure-JS Redis answers, and the real supervisor starts a cluster of an express + Redis session app.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxSnapshot, LAB_DEPENDENCIES, snapshotInputs } from '../../playground/build/sandbox-snapshot.ts';
import { ensureLabSnapshot, labAssets } from '../../integrations/lab-assets.ts';
import { anyFreePort } from '../../playground/lab/ports.js';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));
// Every process below runs without module-syntax detection, as on Node 20 (WebContainer): an ES module that is not
// declared as one (package.json "type") fails loudly instead of loading by luck.
const NODE_ENV = { ...process.env, NODE_OPTIONS: '--no-experimental-detect-module' };

type Entry = { d: Record<string, Entry> } | { f: { c: Uint8Array } };

let work: string;
let root: string;
let result: Awaited<ReturnType<typeof buildSandboxSnapshot>>;
const children: ChildProcess[] = [];

/** Write a decoded snapshot to disk; returns the relative paths of its files. */
function extract(entry: Entry, dir: string, prefix = ''): string[] {
  if (!('d' in entry)) throw new Error('the snapshot root must be a folder');
  const files: string[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, child] of Object.entries(entry.d)) {
    expect(name, 'entry names are plain names').not.toMatch(/[/\\]|^\.\.?$/);
    const rel = prefix ? `${prefix}/${name}` : name;
    if ('d' in child) files.push(...extract(child, path.join(dir, name), rel));
    else {
      fs.writeFileSync(path.join(dir, name), child.f.c);
      files.push(rel);
    }
  }
  return files;
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

function run(args: string[], cwd: string) {
  return spawnSync(process.execPath, args, { cwd, env: NODE_ENV, encoding: 'utf8', timeout: 30_000 });
}

function startNode(args: string[], cwd: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...NODE_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function firstLine(child: ChildProcess, predicate: (line: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => reject(new Error(`timed out; stderr: ${stderr}`)), timeoutMs);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (predicate(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}; stderr: ${stderr}`)));
  });
}

async function http(port: number, pathname: string, cookie = ''): Promise<{ status: number; body: string; cookie: string; servedBy: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, { headers: cookie ? { cookie } : {} });
  return {
    status: res.status,
    body: await res.text(),
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    servedBy: res.headers.get('x-served-by') ?? '',
  };
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-snapshot-test-'));
  const outFile = path.join(work, 'lab.snapshot');
  result = await buildSandboxSnapshot({ projectRoot: PROJECT, outFile });
  root = path.join(work, 'root');
  extract(decode(fs.readFileSync(outFile)) as Entry, root);
}, 120_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('sandbox snapshot', () => {
  it('holds node_modules/ and lab/ and nothing else, with every lab file', () => {
    expect(fs.readdirSync(root).sort()).toEqual(['lab', 'node_modules']);
    const labFiles = listFiles(path.join(PROJECT, 'playground', 'lab'));
    const copied = listFiles(path.join(root, 'lab'));
    expect(copied).toEqual([...new Set([...labFiles, 'package.json'])].sort());
    expect(JSON.parse(fs.readFileSync(path.join(root, 'lab', 'package.json'), 'utf8')).type).toBe('module');
    expect(result.files).toBe(listFiles(root).length);
    expect(result.bytes).toBe(fs.statSync(path.join(work, 'lab.snapshot')).size);
    for (const name of LAB_DEPENDENCIES) expect(result.packages.some((p) => p.startsWith(`${name}@`))).toBe(true);
    // Transitive runtime dependencies travel too, including nested copies npm kept apart.
    expect(result.packages).toEqual(expect.arrayContaining([expect.stringMatching(/^lua-redis-wasm@/), expect.stringMatching(/^cluster-key-slot@/), expect.stringMatching(/^engine\.io@/)]));
    expect(fs.existsSync(path.join(root, 'node_modules/express-session/node_modules/debug/package.json'))).toBe(true);
    // Nothing that is only there for a type checker.
    expect(result.packages.some((p) => p.startsWith('@types/'))).toBe(false);
  });

  it('leaves out docs, types and maps but keeps licences and files served at run time', () => {
    const files = listFiles(path.join(root, 'node_modules'));
    const stray = files.filter((f) => /\.(md|markdown|d\.[cm]?ts|map)$/i.test(f) && !/(^|\/)licen[cs]e[^/]*$/i.test(f));
    // socket.io serves its browser client (maps included) from client-dist/; socket.io-client exports one map.
    expect(stray.filter((f) => !f.startsWith('socket.io/client-dist/') && f !== 'socket.io-client/dist/socket.io.js.map')).toEqual([]);
    expect(files.some((f) => /(^|\/)(test|tests|__tests__|docs|examples?|\.github)\//.test(f))).toBe(false);
    for (const pkg of ['express', 'ioredis', 'socket.io', 'js-redis-server', 'lua-redis-wasm']) {
      const source = fs.readdirSync(path.join(PROJECT, 'node_modules', pkg)).filter((n) => /^licen[cs]e/i.test(n));
      expect(source.length, `${pkg} ships a licence`).toBeGreaterThan(0);
      for (const name of source) expect(fs.existsSync(path.join(root, 'node_modules', pkg, name)), `${pkg}/${name}`).toBe(true);
    }
  });

  it('loads every lab dependency, by import and by require, from the unpacked tree alone', () => {
    const names = JSON.stringify(LAB_DEPENDENCIES);
    const imported = run(['-e', `Promise.all(${names}.map((n) => import(n))).then((m) => console.log('imported', m.length))`], path.join(root, 'lab'));
    expect(imported.stderr).toBe('');
    expect(imported.stdout.trim()).toBe(`imported ${LAB_DEPENDENCIES.length}`);
    const required = run(['-e', `console.log('required', ${names}.map((n) => require(n)).length)`], root);
    expect(required.stderr).toBe('');
    expect(required.stdout.trim()).toBe(`required ${LAB_DEPENDENCIES.length}`);
  });

  it('runs the pure-JS Redis server, which answers PING', async () => {
    const port = await anyFreePort();
    const redis = startNode(['lab/redis/js-server.js', String(port)], root);
    await firstLine(redis, (line) => line.includes('ready'));
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('*1\r\n$4\r\nPING\r\n'));
      socket.once('data', (data) => {
        resolve(data.toString());
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(reply).toBe('+PONG\r\n');
    redis.kill('SIGTERM');
  });

  it('relays socket.io messages between two servers through the Redis adapter', async () => {
    const port = await anyFreePort();
    const redis = startNode(['lab/redis/js-server.js', String(port)], root);
    await firstLine(redis, (line) => line.includes('ready'));
    const script = `
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { io as connect } from 'socket.io-client';
import { Redis } from 'ioredis';
const url = process.env.REDIS_URL;
async function server() {
  const pub = new Redis(url), sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub) });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  return { io, port: http.address().port, close: () => { io.close(); pub.disconnect(); sub.disconnect(); } };
}
const a = await server(), b = await server();
const bob = connect('http://127.0.0.1:' + b.port, { transports: ['websocket'] });
await new Promise((r) => bob.on('connect', r));
await new Promise((r) => setTimeout(r, 300));
const got = new Promise((r) => bob.on('chat', r));
a.io.emit('chat', 'hi from A');
console.log('received', await got);
bob.close(); a.close(); b.close();
process.exit(0);
`;
    fs.mkdirSync(path.join(root, 'smoke'), { recursive: true });
    fs.writeFileSync(path.join(root, 'smoke', 'package.json'), '{ "type": "module" }\n');
    fs.writeFileSync(path.join(root, 'smoke', 'socket.js'), script);
    const child = startNode(['smoke/socket.js'], root, { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(await firstLine(child, (line) => line.startsWith('received'))).toBe('received hi from A');
    redis.kill('SIGTERM');
  });

  it('runs the real supervisor: an express app with sessions in Redis, two instances, one login', async () => {
    const app = path.join(root, 'app');
    fs.mkdirSync(app, { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), '{ "type": "module" }\n');
    fs.writeFileSync(
      path.join(app, 'server.js'),
      `import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
const app = express();
app.use(session({ store: new RedisStore({ client: new Redis(process.env.REDIS_URL) }), secret: 'test', resave: false, saveUninitialized: false }));
app.get('/login', (req, res) => { req.session.user = 'alice'; res.json({ user: 'alice', instance: process.env.INSTANCE_ID }); });
app.get('/me', (req, res) => res.json({ user: req.session.user ?? null, instance: process.env.INSTANCE_ID }));
app.listen(Number(process.env.PORT));
`,
    );
    const supervisor = startNode(['lab/supervisor.js'], root, { LAB_APP_DIR: app, LAB_REDIS: 'js', LAB_CHECKS: path.join(root, 'no-checks.js') });
    const ready = firstLine(supervisor, (line) => JSON.parse(line).type === 'ready', 30_000);
    supervisor.stdin!.write(`${JSON.stringify({ type: 'start', instances: 2 })}\n`);
    const event = JSON.parse(await ready) as { balancerPort: number; instances: { name: string; state: string }[] };
    expect(event.instances.map((i) => i.state)).toEqual(['up', 'up']);

    const login = await http(event.balancerPort, '/login');
    expect(login.status).toBe(200);
    const servedBy = new Set<string>([login.servedBy]);
    for (let i = 0; i < 4; i++) {
      const me = await http(event.balancerPort, '/me', login.cookie);
      expect(JSON.parse(me.body).user).toBe('alice');
      servedBy.add(me.servedBy);
    }
    expect(servedBy.size).toBe(2);
    supervisor.stdin!.end();
    await new Promise((resolve) => supervisor.once('exit', resolve));
  }, 60_000);
});

describe('labAssets integration', () => {
  it('builds the snapshot into public/ when missing, then leaves a fresh one alone', async () => {
    const publicDir = path.join(work, 'public');
    const lines: string[] = [];
    const logger = { info: (line: string) => lines.push(line) };
    const integration = labAssets();
    const setup = integration.hooks['astro:config:setup'] as unknown as (options: object) => Promise<void>;
    const options = (command: string) => ({
      config: { root: pathToFileURL(PROJECT), publicDir: pathToFileURL(publicDir + '/') },
      command,
      logger,
    });

    await setup(options('sync'));
    expect(fs.existsSync(path.join(publicDir, 'sandbox', 'lab.snapshot'))).toBe(false);

    await setup(options('build'));
    const outFile = path.join(publicDir, 'sandbox', 'lab.snapshot');
    expect(fs.statSync(outFile).size).toBeGreaterThan(1_000_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/lab\.snapshot: [\d.]+ MiB, \d+ files, \d+ packages, built in \d+ ms \(missing\)/);

    await setup(options('dev'));
    expect(lines).toHaveLength(1);

    // Older than a lab file: rebuilt — to the same bytes, as nothing it is made from changed.
    const first = fs.readFileSync(outFile);
    // An hour before the newest input (not before now: a checkout's files may all be older than that).
    const newest = Math.max(...(await snapshotInputs(PROJECT)).map((input) => fs.statSync(input).mtimeMs));
    const old = new Date(newest - 3_600_000);
    fs.utimesSync(outFile, old, old);
    const again = await ensureLabSnapshot(PROJECT, outFile, logger);
    expect(again.built).toBe(true);
    expect(again.reason).toMatch(/changed$/);
    expect(fs.readFileSync(outFile).equals(first), 'same inputs, same snapshot').toBe(true);
  }, 120_000);
});
