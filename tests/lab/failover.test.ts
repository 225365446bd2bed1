/**
 * The playground's failover, without a browser: a LabSession drives real lab host processes through the server
 * runtime. A new connection goes to the hosts in turn, the way a balancer spreads them (a dead host refuses it and
 * the session tries again). The host running the lab shuts down mid-check: the waiting check fails with a message
 * instead of hanging, and the lab is rebuilt on the other host from the session's current files, in the same shape.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSession } from '../../playground/client/session/lab-session.ts';
import { LabStore, type UserResultView } from '../../playground/client/session/lab-store.ts';
import { ServerRuntime } from '../../playground/runtime/server-runtime.ts';
import type { LabFile } from '../../playground/protocol/lab-file.ts';
import { loadLesson } from '../../playground/course/lessons.ts';
import { spawnStart, type StartedServer } from '../../scripts/lib/spawn-start.ts';

let site: string;
const hosts: StartedServer[] = [];

beforeAll(async () => {
  // A one-page site: these hosts only run labs, so no `astro build` is needed.
  site = await fs.mkdtemp(path.join(os.tmpdir(), 'failover-site-'));
  await fs.writeFile(path.join(site, 'index.html'), '<!doctype html><title>site</title>');
  for (let i = 0; i < 2; i++) hosts.push(await spawnStart({ env: { ...process.env, SITE_DIR: site } }));
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  if (site) await fs.rm(site, { recursive: true, force: true });
});

async function until<T>(what: string, value: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = value();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('failover between lab hosts', () => {
  it('rebuilds a lab whose host shut down on the other host, from the current files, in the same shape', { timeout: 120_000 }, async () => {
    const lesson = await loadLesson('any-server');
    const mark = `rebuilt-${process.pid}`;
    const solution = await fs.readFile(path.join(lesson.dir, 'solution', 'server.js'), 'utf8');
    let files: LabFile[] = lesson.starter.map((f) => (f.path === 'server.js' ? { path: f.path, content: solution } : f));

    let turn = 0;
    const store = new LabStore();
    const notices: string[] = [];
    const session = new LabSession({
      store,
      lesson: lesson.slug,
      lab: lesson.meta.lab,
      checks: '',
      files: () => files,
      plan: async () => ({ order: ['server'] }),
      create: () => {
        const host = hosts[turn++ % hosts.length]!;
        const origin = host.url;
        return new ServerRuntime(`${host.url.replace('http:', 'ws:')}/lab`, (url) => new WebSocket(url, { headers: { origin } } as unknown as string[]));
      },
      notice: (message) => notices.push(message),
      retryDelays: [50, 200, 500, 1000],
    });
    const users: UserResultView[] = [];
    store.onUserResult((r) => users.push(r));
    const allUp = (n: number) => store.state.instances.length === n && store.state.instances.every((i) => i.state === 'up');

    try {
      await session.run();
      await until('3 instances up', () => allUp(3));
      await session.send({ type: 'scale', instances: 2 });
      await session.send({ type: 'strategy', strategy: 'least-connections' });
      await until('2 instances up', () => allUp(2));
      const first = session.host;
      const victim = hosts.find((h) => first?.endsWith(`:${h.pid}`));
      expect(victim, `the lab runs on one of the test's hosts (${first})`).toBeDefined();

      // The learner changes the code after the cluster started (not deployed), then starts the checks.
      files = files.map((f) => (f.path === 'server.js' ? { ...f, content: f.content.replace("message: 'Hello!'", `message: '${mark}'`) } : f));
      // Settled into a value at once, so the rejection is never an unhandled one.
      const checking = session.check().then(
        () => 'the check finished',
        (error: Error) => error.message,
      );
      await until('the checks to start', () => store.state.checks.running);
      await victim!.stop();

      // The check that was waiting fails with a reason, rather than hanging.
      expect(await checking).toMatch(/lab host/);
      await until('the rebuilt lab', () => notices.find((n) => /went away.*rebuilt/.test(n)));
      expect(session.host).toBeDefined();
      expect(session.host).not.toBe(first);
      expect(notices.at(-1)).toContain(session.host);
      await until('2 instances up again', () => allUp(2));
      await until('least-connections again', () => store.state.balancer.strategy === 'least-connections');
      expect(store.state.phase.name).toBe('running');

      await session.send({ type: 'user', user: 'alice', action: 'visit' });
      const visit = await until('a visit', () => users.find((u) => u.action === 'visit'));
      expect(visit.status).toBe(200);
      expect(JSON.parse(visit.body)).toMatchObject({ message: mark });
    } finally {
      await session.dispose();
    }
  });

  it('does not rebuild a lab the host closed on purpose (idle): it says why and waits for the learner', { timeout: 60_000 }, async () => {
    const idleHost = await spawnStart({ env: { ...process.env, SITE_DIR: site, LAB_IDLE_MINUTES: '0.05' } });
    const lesson = await loadLesson('any-server');
    const store = new LabStore();
    const notices: string[] = [];
    let created = 0;
    const session = new LabSession({
      store,
      lesson: lesson.slug,
      lab: lesson.meta.lab,
      checks: '',
      files: () => lesson.starter,
      plan: async () => ({ order: ['server'] }),
      create: () => {
        created++;
        return new ServerRuntime(`${idleHost.url.replace('http:', 'ws:')}/lab`, (url) => new WebSocket(url, { headers: { origin: idleHost.url } } as unknown as string[]));
      },
      notice: (message) => notices.push(message),
      retryDelays: [50, 200],
    });
    try {
      await session.run();
      const phase = await until('the idle close', () => (store.state.phase.name === 'lost' ? store.state.phase : undefined), 30_000);
      expect(JSON.stringify(phase)).toMatch(/without activity/);
      // Nothing reconnects behind the learner's back.
      await new Promise((r) => setTimeout(r, 1000));
      expect(created).toBe(1);
      expect(notices.filter((n) => /rebuilt/.test(n))).toEqual([]);
    } finally {
      await session.dispose();
      await idleHost.stop();
    }
  });
});
