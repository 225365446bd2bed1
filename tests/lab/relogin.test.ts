import { describe, expect, it } from 'vitest';
import { loadLesson } from '../../playground/course/lessons.ts';
import type { LabEventOf } from '../../playground/protocol/lab-events.ts';
import { startCommand } from '../../playground/protocol/start-command.ts';
import { eventOf, eventually, startLab } from './helpers.ts';

type UserEvent = LabEventOf<'user'>;

describe('logging in again after an unexpected logout', () => {
  it('marks the login that follows an unexpected logout, and only that one (Map trap: sessions in memory, round robin)', async () => {
    const lesson = await loadLesson('map-trap');
    const { lab, events } = await startLab(lesson.starter, { start: startCommand(lesson.meta.lab) });
    const alice = () => events.filter(eventOf('user', (e) => e.user === 'alice'));
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    // Round robin over three instances: the next visit reaches one that never saw her login.
    await lab.send({ type: 'user', user: 'alice', action: 'visit' });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    await lab.send({ type: 'user', user: 'alice', action: 'logout' });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    expect(alice().map((e) => [e.action, e.status, e.loggedOut, e.relogin ?? false])).toEqual([
      ['login', 200, false, false],
      ['visit', 401, true, false],
      ['login', 200, false, true],
      // A logout on purpose, then a login: a fresh one, not a re-login.
      ['logout', 200, false, false],
      ['login', 200, false, false],
    ]);
  });

  it('steady traffic logs a user in again right after each unexpected logout, and says so', async () => {
    const lesson = await loadLesson('map-trap');
    const { lab, events } = await startLab(lesson.starter, { start: startCommand(lesson.meta.lab) });
    await lab.send({ type: 'traffic', on: true, users: ['bob'], rps: 20 });
    const bob = () => events.filter(eventOf('user', (e) => e.user === 'bob'));
    await eventually(() => bob().filter((e) => e.relogin).length >= 3, 'three re-logins of bob', 15_000);
    await lab.send({ type: 'traffic', on: false });
    const seen = bob();
    expect(seen[0]).toMatchObject({ action: 'login', status: 200 });
    expect(seen[0]?.relogin).toBeUndefined();
    // Each unexpected logout is followed by bob's next step: a login, marked as a re-login.
    const outs = seen.flatMap((e, i) => (e.loggedOut ? [i] : []));
    expect(outs.length).toBeGreaterThanOrEqual(3);
    for (const i of outs) {
      const next: UserEvent | undefined = seen[i + 1];
      if (next) expect(next).toMatchObject({ action: 'login', relogin: true });
    }
    // And a re-login is never claimed without an unexpected logout just before it.
    for (const [i, e] of seen.entries()) if (e.relogin) expect(seen[i - 1]?.loggedOut).toBe(true);
  });
});
