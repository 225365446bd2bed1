import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitForPort, freePort } from '../../playground/lab/ports.js';
import { startCommand } from '../../playground/protocol/start-command.ts';
import { loadLesson } from '../../playground/course/lessons.ts';
import { eventOf, startLab, type ProcessOf } from './helpers.ts';

describe('virtual users and the Redis summary', () => {
  it('shows the Map trap: a user logged in on one instance is logged out on the next', async () => {
    const lesson = await loadLesson('map-trap');
    const { lab, events } = await startLab(lesson.starter, { start: startCommand(lesson.meta.lab) });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    for (let i = 0; i < 3; i++) await lab.send({ type: 'user', user: 'alice', action: 'visit' });
    const results = events.filter(eventOf('user', (e) => e.user === 'alice'));
    expect(results[0]).toMatchObject({ action: 'login', status: 200, loggedIn: true });
    const loginInstance = results[0]?.instance;
    const elsewhere = results.filter((e) => e.action === 'visit' && e.instance !== loginInstance);
    expect(elsewhere.length).toBeGreaterThan(0);
    for (const visit of elsewhere) expect(visit).toMatchObject({ status: 401, loggedIn: false, loggedOut: true });
    // Each user has their own cookie jar: Bob was never logged in, so his 401 is not a "logout".
    await lab.send({ type: 'user', user: 'bob', action: 'visit' });
    expect(events.filter((e) => e.type === 'user' && e.user === 'bob').at(-1)).toMatchObject({ status: 401, loggedOut: false });
  });

  it('steady traffic keeps users logging in and visiting at the given rate', async () => {
    const lesson = await loadLesson('sessions-in-redis');
    const { lab, events } = await startLab(lesson.solution, { start: startCommand(lesson.meta.lab) });
    await lab.send({ type: 'traffic', on: true, rps: 40 });
    await new Promise((r) => setTimeout(r, 1000));
    await lab.send({ type: 'traffic', on: false });
    const settled = events.filter((e) => e.type === 'user').length;
    await new Promise((r) => setTimeout(r, 300));
    const users = events.filter((e) => e.type === 'user');
    expect(users.length).toBeGreaterThan(20);
    expect(users.length).toBeLessThanOrEqual(settled + 50);
    expect(new Set(users.map((e) => e.user))).toEqual(new Set(['alice', 'bob', 'carol']));
    expect(users.filter((e) => e.action === 'visit').every((e) => e.status === 200)).toBe(true);
  });

  it('summarises the commands instances send to Redis and the key count', async () => {
    const lesson = await loadLesson('sessions-in-redis');
    const { lab, until } = await startLab(lesson.solution, { start: startCommand(lesson.meta.lab) });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    await lab.send({ type: 'user', user: 'alice', action: 'visit' });
    // The summary comes once a second, so the first one may predate the visit's GET: wait for one that has it.
    const summary = await until(eventOf('redis', (e) => Number(e.keys) >= 1 && 'GET' in e.commands), 5000);
    expect(summary.backend).toMatch(/redis-server|js-redis-server/);
    expect(Object.keys(summary.commands)).toEqual(expect.arrayContaining(['SET', 'GET']));
    expect(summary.recent.some((line) => /^SET sess:/.test(line))).toBe(true);
  });

  it('uses REDIS_URL when one is given instead of starting its own Redis', async () => {
    const port = await freePort();
    const external = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      await waitForPort(port, 5000);
      const lesson = await loadLesson('sessions-in-redis');
      const { lab, until } = await startLab(lesson.solution, {
        env: { REDIS_URL: `redis://127.0.0.1:${port}` },
        start: startCommand(lesson.meta.lab),
      });
      const redis = await until((e): e is ProcessOf<'redis'> => e.type === 'process' && e.role === 'redis' && e.state === 'up');
      expect(redis.backend).toBe('external');
      await lab.send({ type: 'user', user: 'alice', action: 'login' });
      const { Redis } = await import('ioredis');
      const client = new Redis(port);
      expect((await client.keys('sess:*')).length).toBe(1);
      client.disconnect();
    } finally {
      external.kill('SIGKILL');
    }
  });
});
