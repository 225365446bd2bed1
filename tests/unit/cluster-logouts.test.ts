import { describe, expect, it } from 'vitest';
import { LogoutCounter, logoutShortWords, logoutWords } from '../../playground/client/panels/cluster/logout-counter.ts';
import type { UserResultView } from '../../playground/client/session/lab-store.ts';

const T0 = 1_700_000_000_000;

function visit(instance: string | null, fields: Partial<UserResultView> = {}): UserResultView {
  return { t: T0, user: 'alice', action: 'visit', instance, status: 401, loggedIn: false, loggedOut: true, named: null, mixup: null, body: '', ...fields };
}

describe('logouts per instance', () => {
  it('counts unexpected logouts on the instance that answered them, over the last minute', () => {
    const c = new LogoutCounter();
    c.record(visit('B'), T0);
    c.record(visit('B'), T0 + 20_000);
    c.record(visit('C'), T0 + 30_000);
    expect(c.count('B', T0 + 30_000)).toBe(2);
    expect(c.count('C', T0 + 30_000)).toBe(1);
    expect(c.count('A', T0 + 30_000)).toBe(0);
    // Decays as time passes.
    expect(c.count('B', T0 + 60_000)).toBe(1);
    expect(c.count('B', T0 + 80_001)).toBe(0);
    expect(c.count('C', T0 + 80_001)).toBe(1);
  });

  it('leaves out check traffic, answers that were not logouts and failures at the balancer', () => {
    const c = new LogoutCounter();
    expect(c.record(visit('B', { check: 'sessions are shared' }), T0)).toBe(false);
    expect(c.record(visit('B', { loggedOut: false, loggedIn: true, status: 200 }), T0)).toBe(false);
    expect(c.record(visit(null, { loggedOut: false, status: 502 }), T0)).toBe(false);
    expect(c.count('B', T0)).toBe(0);
  });

  it('keeps a bounded number of stamps per instance, and forgets all on reset', () => {
    const c = new LogoutCounter(60_000, 10);
    for (let i = 0; i < 25; i++) c.record(visit('B'), T0 + i);
    expect(c.count('B', T0 + 30)).toBe(10);
    c.reset();
    expect(c.count('B', T0 + 30)).toBe(0);
  });

  it('says it in words', () => {
    expect(logoutWords(0)).toBe('');
    expect(logoutWords(1)).toBe('1 logout in the last minute');
    expect(logoutWords(4)).toBe('4 logouts in the last minute');
    expect(logoutShortWords(0)).toBe('');
    expect(logoutShortWords(1)).toBe('1 logout, last 60 s');
  });
});
