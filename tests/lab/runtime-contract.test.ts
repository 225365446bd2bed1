/**
 * One contract, two runtimes: the same lesson files go in, the same events and check results must come out,
 * whether the lab runs on the lab host (server runtime over its WebSocket) or in a WebContainer (here the faithful
 * fake, backed by real processes running the real supervisor from the real prebuilt snapshot).
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxSnapshot } from '../../playground/build/sandbox-snapshot.ts';
import { ServerRuntime } from '../../playground/runtime/server-runtime.ts';
import type { Runtime } from '../../playground/runtime/types.ts';
import type { LabEvent, LabEventOf } from '../../playground/protocol/lab-events.ts';
import { WebContainerRuntime, type ContainerApi } from '../../playground/runtime/webcontainer-runtime.ts';
import { attachLabHost } from '../../playground/server/lab-host.ts';
import { loadLesson, type Lesson } from '../../playground/course/lessons.ts';
import { FakeWebContainer } from '../support/fake-webcontainer.ts';

let snapshot: Uint8Array;
let host: { port: number; close: () => Promise<void> };
let lesson: Lesson;

beforeAll(async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapshot-'));
  const outFile = path.join(dir, 'lab.snapshot');
  await buildSandboxSnapshot({ projectRoot: path.resolve(import.meta.dirname, '../..'), outFile });
  snapshot = new Uint8Array(await fs.readFile(outFile));
  await fs.rm(dir, { recursive: true });

  const server = http.createServer();
  const labs = attachLabHost(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  host = { port, close: async () => { await labs.close(); await new Promise((r) => server.close(r)); } };
  lesson = await loadLesson('sessions-in-redis');
}, 120_000);

afterAll(async () => {
  await host?.close();
});

const runtimes: Record<string, () => Runtime> = {
  server: () =>
    new ServerRuntime(`ws://127.0.0.1:${host.port}/lab`, (url) =>
      new WebSocket(url, { headers: { origin: `http://127.0.0.1:${host.port}` } } as unknown as string[])),
  webcontainer: () =>
    new WebContainerRuntime({
      loadApi: async () => FakeWebContainer as unknown as ContainerApi,
      loadSnapshot: async (progress) => {
        progress(snapshot.length, snapshot.length);
        return snapshot;
      },
      isolated: () => true,
    }),
};

/** What a learner sees, independent of timing: process states reached, user outcomes, and check results. */
async function scenario(runtime: Runtime, files: Lesson['starter']) {
  const events: LabEvent[] = [];
  runtime.onEvent((e) => events.push(e));
  await runtime.boot();
  await runtime.openLab({ lesson: lesson.slug, files, lab: lesson.meta.lab, checks: await fs.readFile(lesson.checksFile, 'utf8') });
  await runtime.send({ type: 'start' });
  await runtime.send({ type: 'user', user: 'alice', action: 'login' });
  for (let i = 0; i < 3; i++) await runtime.send({ type: 'user', user: 'alice', action: 'visit' });
  await runtime.send({ type: 'instance', action: 'stop', name: 'B' });
  await expect(runtime.send({ type: 'scale', instances: 42 })).rejects.toThrow(/1 to 10/);
  // What the learner did by hand; the checks below drive users of their own, a timing-dependent number of times.
  const visits = events.filter((e): e is LabEventOf<'user'> => e.type === 'user' && e.action === 'visit');
  await runtime.send({ type: 'check' });
  await runtime.dispose();
  const reached = (name: string) => [...new Set(events.filter((e): e is LabEventOf<'process'> => e.type === 'process' && e.name === name).map((e) => e.state))];
  const report = events.find((e) => e.type === 'checks');
  return {
    redisUp: events.some((e) => e.type === 'process' && e.name === 'redis' && e.state === 'up'),
    states: { A: reached('A'), B: reached('B'), C: reached('C'), balancer: reached('balancer') },
    login: events.find((e): e is LabEventOf<'user'> => e.type === 'user' && e.action === 'login')?.status,
    visitsLoggedIn: visits.map((v) => v.loggedIn),
    requestsSeen: events.filter((e) => e.type === 'request').length >= 4,
    checks: (report?.tests as { name: string; status: string }[] | undefined)?.map((t) => `${t.name}: ${t.status}`),
    status: report?.status,
  };
}

describe('runtime contract', () => {
  for (const [variant, files, expected] of [
    ['solution', () => lesson.solution, 'pass'],
    ['starter', () => lesson.starter, 'fail'],
  ] as const) {
    it(`the ${variant} gives the same outcome on both runtimes`, { timeout: 120_000 }, async () => {
      const outcomes: Record<string, Awaited<ReturnType<typeof scenario>>> = {};
      for (const [name, make] of Object.entries(runtimes)) outcomes[name] = await scenario(make(), files());
      expect(outcomes.server).toEqual(outcomes.webcontainer);
      const outcome = outcomes.server!;
      expect(outcome.status).toBe(expected);
      expect(outcome.redisUp).toBe(true);
      expect(outcome.states.A).toContain('up');
      expect(outcome.states.B).toEqual(expect.arrayContaining(['starting', 'up', 'stopped']));
      expect(outcome.login).toBe(200);
      expect(outcome.requestsSeen).toBe(true);
      if (expected === 'pass') expect(outcome.visitsLoggedIn).toEqual([true, true, true]);
      else expect(outcome.visitsLoggedIn).toContain(false);
    });
  }

  it('a WebContainer that never boots fails with a readable timeout instead of hanging', async () => {
    FakeWebContainer.behaviour = { neverBoots: true };
    try {
      const runtime = new WebContainerRuntime({ loadApi: async () => FakeWebContainer as unknown as ContainerApi, bootTimeoutMs: 300, isolated: () => true });
      const statuses: string[] = [];
      runtime.onStatus((s) => statuses.push(s.state));
      await expect(runtime.boot()).rejects.toThrow(/did not start within 0 s|did not start within/);
      expect(statuses.at(-1)).toBe('failed');
    } finally {
      FakeWebContainer.behaviour = {};
    }
  });

  it('refuses to boot on a page that is not cross-origin isolated', async () => {
    const runtime = new WebContainerRuntime({ loadApi: async () => FakeWebContainer as unknown as ContainerApi, isolated: () => false });
    await expect(runtime.boot()).rejects.toThrow(/not cross-origin isolated/);
  });
});
