import { describe, expect, it } from 'vitest';
import { loadLesson } from '../../playground/course/lessons.ts';
import { startCommand } from '../../playground/protocol/start-command.ts';
import { eventOf, startLab } from './helpers.ts';

describe.each(['redis-server', 'js'])('the Redis summary knows whose sessions it holds (%s)', (redis) => {
  it("shows Alice's session key with its owner and TTL, and drops it once she logs out", async () => {
    const lesson = await loadLesson('map-trap');
    const { lab, events, until } = await startLab(lesson.solution, { redis, start: startCommand(lesson.meta.lab) });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    const loggedIn = await until(eventOf('redis', (e) => (e.sessions ?? []).some((s) => s.user === 'alice')), 5000);
    expect(loggedIn.sessionCount).toBe(1);
    expect(loggedIn.sessions).toHaveLength(1);
    const [session] = loggedIn.sessions ?? [];
    expect(session?.key).toMatch(/^session:[0-9a-f-]{36}$/);
    expect(session?.ttl).toBeGreaterThan(0);
    expect(session?.ttl).toBeLessThanOrEqual(3600);
    // Readable commands: the SET of her session, its key printable and short enough to be shown whole.
    expect(loggedIn.recent).toContain(`SET ${session?.key} alice`);

    const before = events.length;
    await lab.send({ type: 'user', user: 'alice', action: 'logout' });
    const after = await lab.waitFor(eventOf('redis', (e) => e.sessions !== undefined && events.indexOf(e) >= before && 'DEL' in e.commands), 5000);
    expect(after.sessions).toEqual([]);
    expect(after.sessionCount).toBe(0);
  });
});

describe("the owner of an express-session key", () => {
  it("reads the session id out of express-session's signed cookie (s:<id>.<signature>)", async () => {
    const lesson = await loadLesson('sessions-in-redis');
    const { lab, until } = await startLab(lesson.solution, { start: startCommand(lesson.meta.lab) });
    await lab.send({ type: 'user', user: 'bob', action: 'login' });
    await lab.send({ type: 'user', user: 'carol', action: 'login' });
    const summary = await until(eventOf('redis', (e) => (e.sessions ?? []).filter((s) => s.user !== null).length === 2), 5000);
    expect(summary.sessions?.map((s) => s.user).sort()).toEqual(['bob', 'carol']);
    for (const session of summary.sessions ?? []) expect(session.ttl).toBeGreaterThan(0);
    expect(summary.sessionCount).toBe(2);
  });
});
