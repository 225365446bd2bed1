/**
 * Instances behave like production containers: each process has a disk of its own (a fresh copy of the app,
 * gone after the process), "up" means listening on process.env.PORT, and a crash or a start-up that never
 * finishes is explained by its real cause, with the learner's own file and line.
 *
 * Labs here are independent, so their cases run concurrently; each test tears its own lab down (the shared
 * startLab helper tears down every lab after each test, which concurrent tests cannot share).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect } from 'socket.io-client';
import { describe, it, type TestContext } from 'vitest';
import { Cluster } from '../../playground/lab/cluster.js';
import { describeCrash, noNotes, shorten } from '../../playground/lab/exit-reason.js';
import { Instance } from '../../playground/lab/instance.js';
import { anyFreePort } from '../../playground/lab/ports.js';
import { LabProcess, type LabProcessOptions } from '../../playground/server/lab-process.ts';
import type { LabEvent, ProcessState } from '../../playground/protocol/lab-events.ts';
import type { LabFile } from '../../playground/protocol/lab-file.ts';
import { eventOf, eventually, get, PACKAGE_JSON, type ProcessOf } from './helpers.ts';

const FAST = { LAB_STARTUP_TIMEOUT_MS: '1500' };

interface Lab {
  lab: LabProcess;
  app: string;
  events: LabEvent[];
  /** The next (or latest, if it is already so) process event of instance `name` in `state`. */
  waitForState(name: string, state: ProcessState, timeoutMs?: number): Promise<ProcessOf<'instance'>>;
}

/** A lab that goes away with the test that started it. */
async function open(
  context: TestContext,
  files: LabFile[],
  options: Partial<LabProcessOptions> & { instances?: number; before?: (app: string) => void } = {},
): Promise<Lab> {
  const lab = await LabProcess.create({ files, ...options });
  context.onTestFinished(() => lab.destroy());
  options.before?.(path.join(lab.dir, 'app'));
  const events: LabEvent[] = [];
  lab.on('event', (event) => events.push(event));
  await lab.send({ type: 'start', instances: options.instances ?? 3 });
  return {
    lab,
    app: path.join(lab.dir, 'app'),
    events,
    waitForState: (name, state, timeoutMs = 10_000) => {
      const ofName = (e: LabEvent): e is ProcessOf<'instance'> => e.type === 'process' && e.role === 'instance' && e.name === name;
      const latest = [...events].reverse().find(ofName);
      if (latest?.state === state) return Promise.resolve(latest);
      return lab.waitFor((e): e is ProcessOf<'instance'> => ofName(e) && e.state === state, timeoutMs);
    },
  };
}

const server = (content: string): LabFile[] => [PACKAGE_JSON, { path: 'server.js', content }];

/** Instance disks currently in the lab's app folder. */
const disks = (app: string) => (fs.existsSync(path.join(app, '.instances')) ? fs.readdirSync(path.join(app, '.instances')).sort() : []);

describe.concurrent('each instance process has a disk of its own', () => {
  // Written once, at the first start, as a name cached in a file would be: with a shared folder the first
  // instance's name would be every instance's.
  const diskApp = server(`import fs from 'node:fs';
import http from 'node:http';
const id = process.env.INSTANCE_ID;
try { fs.writeFileSync('who.txt', id, { flag: 'wx' }); } catch {}
const starts = Number(fs.existsSync('starts.txt') ? fs.readFileSync('starts.txt', 'utf8') : 0) + 1;
fs.writeFileSync('starts.txt', String(starts));
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    instance: id, who: fs.readFileSync('who.txt', 'utf8'), starts, cwd: process.cwd(),
    link: fs.lstatSync('notes').isSymbolicLink() && fs.readlinkSync('notes'), modules: fs.existsSync('node_modules'),
  }));
}).listen(Number(process.env.PORT));
`);

  it('a file one instance writes is not seen by another and does not change app/; restart gives a fresh disk; the copy goes with the process', async (context) => {
    const { expect } = context;
    const { lab, app, waitForState } = await open(context, diskApp, {
      // A link is copied as a link; a node_modules folder in app/ is not copied (Node finds it above the copy).
      before: (app) => {
        fs.symlinkSync('package.json', path.join(app, 'notes'));
        fs.mkdirSync(path.join(app, 'node_modules'));
      },
    });
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(lab.balancerPort)));
    type Body = { instance: string; who: string; starts: number; cwd: string; link: string | false; modules: boolean };
    const seen = new Map(answers.map((a) => [a.servedBy, JSON.parse(a.body) as Body]));
    expect([...seen.keys()].sort()).toEqual(['A', 'B', 'C']);
    for (const [name, body] of seen) {
      expect(body).toMatchObject({ who: name, starts: 1, link: 'package.json', modules: false });
      expect(path.dirname(body.cwd)).toBe(fs.realpathSync(path.join(app, '.instances')));
    }
    expect(new Set([...seen.values()].map((b) => b.cwd)).size).toBe(3);
    // The learner's folder holds their files only.
    expect(fs.readdirSync(app).sort()).toEqual(['.instances', 'node_modules', 'notes', 'package.json', 'server.js']);
    expect(disks(app)).toHaveLength(3);

    const before = seen.get('A')!;
    await lab.send({ type: 'instance', action: 'restart', name: 'A' });
    const up = await waitForState('A', 'up');
    const after = JSON.parse((await get(Number(up.port))).body) as Body;
    expect(after.starts).toBe(1);
    expect(after.who).toBe('A');
    expect(after.cwd).not.toBe(before.cwd);
    expect(fs.existsSync(before.cwd)).toBe(false);

    // A killed process's disk goes too, and so does every disk once the cluster stops.
    await lab.send({ type: 'instance', action: 'kill', name: 'B' });
    expect(fs.existsSync(seen.get('B')!.cwd)).toBe(false);
    await lab.send({ type: 'stop' });
    expect(disks(app)).toEqual([]);
  });

  it('a crashed process leaves no disk behind, and messages show the learner\'s paths, not the copy\'s', async (context) => {
    const { expect } = context;
    const files = server(`import http from 'node:http';
const id = process.env.INSTANCE_ID;
console.error('running ' + new URL(import.meta.url).pathname);
http.createServer((req, res) => {
  if (req.url === '/boom') setTimeout(() => { throw new Error('boom on ' + id); });
  res.end(id);
}).listen(Number(process.env.PORT));
`);
    const { lab, app, events, waitForState } = await open(context, files, { instances: 1 });
    expect(disks(app)).toHaveLength(1);
    await get(lab.balancerPort, '/boom');
    const crashed = await waitForState('A', 'crashed');
    expect(crashed.reason).toMatch(/^server\.js:5:\d+: Error: boom on A \(exited with code 1\)$/);
    await eventually(() => disks(app).length === 0, 'the crashed instance\'s disk to be removed');
    const logged = events.filter(eventOf('log', (e) => e.name === 'A')).map((e) => String(e.text));
    expect(logged).toContain(`running ${app}/server.js`);
    expect(logged.join('\n')).not.toMatch(/\.instances/);
  });

  it('a copy that fails makes the instance crash with a reason saying so; start() does not throw', async ({ expect }) => {
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'instance-disk-'));
    try {
      fs.writeFileSync(path.join(appDir, 'server.js'), '');
      // Where the disks go is taken by a file: the copy cannot be made (as on a full disk).
      fs.writeFileSync(path.join(appDir, '.instances'), '');
      const states: string[] = [];
      const instance = new Instance({
        name: 'A', generation: 1, appDir, entry: 'server.js', env: {}, startupTimeoutMs: 1000,
        onState: (i) => states.push(i.state), onLog: () => undefined,
      });
      await instance.start();
      expect(states).toEqual(['starting', 'crashed']);
      expect(instance.reason).toMatch(/^could not copy the app's files to instance A's own disk: .*(EEXIST|ENOTDIR)/);
      expect(instance.child).toBeUndefined();
    } finally {
      fs.rmSync(appDir, { recursive: true, force: true });
    }
  });

  it('a new cluster removes the disks an earlier supervisor left behind', ({ expect }) => {
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'instance-disk-'));
    try {
      fs.mkdirSync(path.join(appDir, '.instances', 'A-1-7'), { recursive: true });
      fs.writeFileSync(path.join(appDir, '.instances', 'A-1-7', 'left.txt'), 'x');
      fs.writeFileSync(path.join(appDir, 'server.js'), '');
      const cluster = new Cluster({ appDir, entry: 'server.js', env: {}, onState: () => undefined, onLog: () => undefined, onDeploy: () => undefined });
      cluster.dispose();
      expect(fs.existsSync(path.join(appDir, '.instances'))).toBe(false);
      expect(fs.existsSync(path.join(appDir, 'server.js'))).toBe(true);
    } finally {
      fs.rmSync(appDir, { recursive: true, force: true });
    }
  });
});

describe.concurrent('"up" means listening', () => {
  it('a bare socket.io server (no request handler) is up, stays up, takes WebSockets through the balancer, and still goes unhealthy when blocked', async (context) => {
    const { expect } = context;
    const files = server(`import { createServer } from 'node:http';
import { Server } from 'socket.io';
const server = createServer();
const io = new Server(server);
io.on('connection', (socket) => {
  socket.emit('hello', process.env.INSTANCE_ID);
  socket.on('block', () => { for (;;) {} });
});
server.listen(process.env.PORT);
`);
    const { lab, events, waitForState } = await open(context, files, { instances: 2 });
    await waitForState('A', 'up');
    await waitForState('B', 'up');
    const clients: ReturnType<typeof connect>[] = [];
    context.onTestFinished(() => {
      for (const c of clients) c.close();
    });
    const hello = async () => {
      const client = connect(`http://127.0.0.1:${lab.balancerPort}`, { transports: ['websocket'], reconnection: false });
      clients.push(client);
      return { client, id: await new Promise<string>((resolve) => client.once('hello', resolve)) };
    };
    const first = await hello();
    const second = await hello();
    expect([first.id, second.id].sort()).toEqual(['A', 'B']);
    // Beyond two health rounds: a server that never answers plain HTTP is not taken for a blocked one.
    await new Promise((r) => setTimeout(r, 3500));
    expect(events.filter((e) => e.type === 'process' && e.state !== 'up' && e.state !== 'starting')).toEqual([]);

    (first.id === 'B' ? first : second).client.emit('block');
    const unhealthy = await waitForState('B', 'unhealthy', 10_000);
    expect(unhealthy.reason).toBe('did not react to the balancer for 3 s: its event loop is blocked (an endless loop, heavy synchronous work?)');
    expect([...events].reverse().find(eventOf('process', (e) => e.name === 'A'))?.state).toBe('up');
  });
});

describe.concurrent('the port the lab gives an instance', () => {
  it('taken by another process before the app listens: never counted up for the other listener, and started again on a new port', async (context) => {
    const { expect } = context;
    // On its first start only, a process outside the lab (no guard) takes PORT just before the app listens there.
    const files = server(`import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
const marker = '../../port-taken-once';
if (!fs.existsSync(marker)) {
  fs.writeFileSync(marker, process.env.PORT);
  const squatter = spawn(process.execPath, ['-e', "require('node:net').createServer().listen(Number(process.env.PORT), '127.0.0.1'); setTimeout(() => process.exit(0), 4000)"], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 400));
}
http.createServer((req, res) => res.end(JSON.stringify({ instance: process.env.INSTANCE_ID, port: process.env.PORT }))).listen(Number(process.env.PORT));
`);
    const { lab, app, events, waitForState } = await open(context, files, { instances: 1 });
    const up = await waitForState('A', 'up');
    const taken = Number(fs.readFileSync(path.join(app, 'port-taken-once'), 'utf8'));
    expect(up.port).not.toBe(taken);
    expect(events.some((e) => e.type === 'process' && e.name === 'A' && (e.state === 'up' && e.port === taken))).toBe(false);
    expect(events.some((e) => e.type === 'process' && e.name === 'A' && e.state === 'crashed')).toBe(false);
    expect(events.some((e) => e.type === 'log' && e.name === 'A' && /\[lab\] port \d+ was taken by another process/.test(String(e.text)))).toBe(true);
    const answer = JSON.parse((await get(lab.balancerPort)).body) as { instance: string; port: string };
    expect(answer).toEqual({ instance: 'A', port: String(up.port) });
  });
});

describe.concurrent('"up" is proven by the process itself', () => {
  it('an app that left its own stderr line unfinished still comes up, and that line is shown', async (context) => {
    const { expect } = context;
    const files = server(`import http from 'node:http';
process.stderr.write('loading without a newline… ');
http.createServer((req, res) => res.end(process.env.INSTANCE_ID)).listen(Number(process.env.PORT));
`);
    const { events, waitForState } = await open(context, files, { instances: 1, env: FAST });
    await waitForState('A', 'up');
    expect(events.some((e) => e.type === 'log' && e.name === 'A' && String(e.text).startsWith('loading without a newline…'))).toBe(true);
    expect(events.some((e) => e.type === 'log' && e.text === '[lab] listening on process.env.PORT')).toBe(false);
  });
});

describe.concurrent('a fixed port gets the same, right message on every instance', () => {
  const fixed = (port: number) =>
    server(`import http from 'node:http';
const id = process.env.INSTANCE_ID;
const server = http.createServer((req, res) => res.end(id));
server.listen(${port});
`);
  /** Every instance's crash reason, with its own PORT number taken out. */
  async function reasons(lab: Lab) {
    const crashed = await Promise.all(['A', 'B', 'C'].map((name) => lab.waitForState(name, 'crashed', 15_000)));
    return crashed.map((e) => String(e.reason).replace(`(${String(e.port)})`, '(PORT)'));
  }

  it('when the balancer holds the port', async (context) => {
    const { expect } = context;
    const port = await anyFreePort();
    // Every instance finds the port taken: no start-up timeout is involved.
    const lab = await open(context, fixed(port), { port });
    expect(lab.lab.balancerPort).toBe(port);
    const all = await reasons(lab);
    expect(all).toEqual(Array(3).fill(
      `server.js:4:8: listens on port ${port}, but the balancer sends this instance's requests to process.env.PORT (PORT) — port ${port} is the balancer's own. Listen on process.env.PORT instead.`,
    ));
  });

  it('when the port is free (the first instance takes it and is never up, the others find it taken)', async (context) => {
    const { expect } = context;
    const port = await anyFreePort();
    // Short enough to keep the test quick, long enough for all three to reach their listen() on a loaded machine.
    const lab = await open(context, fixed(port), { env: { LAB_STARTUP_TIMEOUT_MS: '3000' } });
    expect(lab.lab.balancerPort).not.toBe(port);
    const all = await reasons(lab);
    expect(all).toEqual(Array(3).fill(
      `server.js:4:8: listens on port ${port}, but the balancer sends this instance's requests to process.env.PORT (PORT). Listen on process.env.PORT instead.`,
    ));
  });

  it('a listen on PORT, on 0, or from node:cluster workers is not flagged', async (context) => {
    const { expect } = context;
    const files = server(`import cluster from 'node:cluster';
import http from 'node:http';
import net from 'node:net';
if (cluster.isPrimary) {
  net.createServer().listen(0);
  cluster.fork();
} else {
  http.createServer((req, res) => res.end(process.env.INSTANCE_ID + ' worker')).listen(process.env.PORT);
}
`);
    const { lab, events, waitForState } = await open(context, files, { instances: 1 });
    await waitForState('A', 'up');
    expect((await get(lab.balancerPort)).body).toBe('A worker');
    expect(events.filter((e) => e.type === 'log' && /^\[lab\]/.test(String(e.text)))).toEqual([]);
  });
});

describe.concurrent('crash reasons name the real cause', () => {
  it('a top-level loop that never ends is reported as busy, not as a missing listen', async (context) => {
    const { expect } = context;
    const { events, waitForState } = await open(context, server('while (true) {}\n'), { instances: 1, env: FAST });
    const crashed = await waitForState('A', 'crashed', 10_000);
    expect(crashed.reason).toMatch(/^still busy after 1\.5 s: its start-up code never finished \(a loop that never ends\?\), so it never listened on process\.env\.PORT \(\d+\)$/);
    expect(events.some((e) => e.type === 'log' && e.name === 'A' && /^\[lab\] busy: /.test(String(e.text)))).toBe(true);
  });

  it('the learner\'s own file and line come first, not Node\'s or a package\'s; CommonJS in an ES-module lab says how to fix it', async (context) => {
    const { expect } = context;
    const files: LabFile[] = [
      PACKAGE_JSON,
      { path: 'lib/db.js', content: "export function connect(url) {\n  if (!url) throw new TypeError('no database url');\n}\n" },
      {
        path: 'server.js',
        content: `import express from 'express';
import { connect } from './lib/db.js';
const id = process.env.INSTANCE_ID;
if (id === 'A') connect();
if (id === 'B') express().use(42);
if (id === 'C') { const http = require('node:http'); }
express().listen(process.env.PORT);
`,
      },
    ];
    const lab = await open(context, files);
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((name) => lab.waitForState(name, 'crashed')));
    expect(a!.reason).toBe('lib/db.js:2:19: TypeError: no database url (exited with code 1 while starting)');
    // express throws from its own code; the learner's line that called it is what they can fix.
    expect(b!.reason).toMatch(/^server\.js:5:\d+: TypeError: .*middleware.* \(exited with code 1 while starting\)$/);
    expect(c!.reason).toMatch(
      /^server\.js:6:\d+: require is not defined: this lab's package\.json has "type": "module", so server\.js is an ES module — load packages with import … from '…' instead of require\(…\), and export instead of module\.exports, or name the file server\.cjs \(exited with code 1 while starting\)$/,
    );
    for (const e of [a, b, c]) expect(String(e!.reason)).not.toMatch(/node_modules|node:internal|\.instances/);
  });
});

describe.concurrent('reasons from what Node really prints', () => {
  /** Run one ES module with this Node and describe its crash as the supervisor would. */
  async function crashOf(content: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), PACKAGE_JSON.content);
      fs.writeFileSync(path.join(dir, 'server.js'), content);
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ['server.js'], { cwd: dir, timeout: 10_000 }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
      });
      return describeCrash({ code, signal: null, lines: stderr.split('\n').slice(-40), appDirs: [dir, fs.realpathSync(dir)], starting: true, port: 4000, notes: noNotes(), balancerPort: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a thrown value that is not an Error, and a rejected promise nobody handles', async ({ expect }) => {
    expect(await crashOf("throw 'boom';\n")).toBe('threw boom, which is not an Error, so Node knows no line to show (exited with code 1 while starting)');
    expect(await crashOf("Promise.reject('nope');\n")).toMatch(/^a promise was rejected with "nope" and nothing handled it .*\(exited with code 1 while starting\)$/);
  });

  it('a missing package names the learner\'s file relative to the app', async ({ expect }) => {
    expect(await crashOf("import x from 'expresss';\n")).toBe(
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'expresss' imported from server.js (exited with code 1 while starting)",
    );
  });

  it('module.exports in an ES module says to use export', async ({ expect }) => {
    expect(await crashOf('module.exports = {};\n')).toMatch(/^server\.js:1:1: module is not defined: this lab's package\.json has "type": "module", so server\.js is an ES module — use export .*, or name the file server\.cjs/);
  });

  it('a full disk (ENOSPC) says the lab\'s disk is full, not just the error code', async ({ expect }) => {
    const reason = await crashOf(`const error = new Error("ENOSPC: no space left on device, open 'junk-111'");\nerror.code = 'ENOSPC';\nthrow error;\n`);
    expect(reason).toMatch(/^server\.js:1:\d+: Error: ENOSPC: no space left on device, open 'junk-111': the lab's disk is full\./);
  });

  it('a long message is shortened at a word boundary, never mid-word', async ({ expect }) => {
    const reason = await crashOf(`throw new Error('${'lorem ipsum '.repeat(60)}');\n`);
    expect(reason.length).toBeLessThan(420);
    // Whole words, then the ellipsis, then what happened: nothing is cut inside a word.
    expect(reason).toMatch(/^server\.js:1:7: Error: (?:(?:lorem|ipsum) )+… \(exited with code 1 while starting\)$/);
    expect(shorten('alpha beta gamma', 12)).toBe('alpha beta …');
    expect(shorten('alpha beta gamma', 16)).toBe('alpha beta gamma');
  });
});
