import { describe, expect, it } from 'vitest';
import type { UserResultView } from '../../playground/client/session/lab-store.ts';
import { ResultWindow, userTallyShort, userTallyText, windowSummary } from '../../playground/client/panels/users/result-window.ts';

function result(partial: Partial<UserResultView>): UserResultView {
  return { user: 'alice', action: 'visit', status: 200, instance: 'A', loggedIn: true, loggedOut: false, body: '', t: 0, ...partial };
}
const out = (instance: string, user = 'alice') => result({ user, instance, status: 401, loggedIn: false, loggedOut: true });

/** A window on a clock the test moves by hand. */
function clocked() {
  let now = 1_000_000;
  const window = new ResultWindow(() => now, 60_000);
  return { window, advance: (ms: number) => (now += ms) };
}

describe('the last minute of results', () => {
  it('counts each user’s unexpected logouts per instance, most first', () => {
    const { window } = clocked();
    for (const r of [result({}), out('B'), out('C'), out('B'), out('A', 'bob'), result({ user: 'carol' })]) window.add(r);
    expect(window.user('alice')).toEqual({ logouts: 3, mixups: 0, where: [['B', 2], ['C', 1]] });
    expect(userTallyText(window.user('alice'))).toBe('3 logouts in the last minute (B 2, C 1)');
    expect(userTallyShort(window.user('alice'))).toBe('3 logouts in 1 min (B\u00a02, C\u00a01)');
    expect(userTallyText(window.user('bob'))).toBe('1 logout in the last minute (on A)');
    expect(userTallyShort(window.user('carol'))).toBe('');
    expect(userTallyText(window.user('carol'))).toBe('');
    expect(windowSummary(window.totals())).toBe('Last minute: 6 requests, 4 unexpected logouts');
  });

  it('forgets results older than the window, so the counts decay', () => {
    const { window, advance } = clocked();
    window.add(out('B'));
    advance(30_000);
    window.add(out('C'));
    window.add(result({}));
    expect(window.user('alice').logouts).toBe(2);
    advance(30_000);
    expect(window.user('alice')).toEqual({ logouts: 1, mixups: 0, where: [['C', 1]] });
    expect(window.totals().requests).toBe(2);
    expect(window.empty).toBe(false);
    advance(30_000);
    expect(userTallyText(window.user('alice'))).toBe('');
    expect(windowSummary(window.totals())).toBe('Last minute: 0 requests, 0 unexpected logouts');
    expect(window.empty).toBe(true);
  });

  it('counts a mix-up as a mix-up, not also as a logout, and failures apart from both', () => {
    const { window } = clocked();
    window.add(result({ status: 200, instance: 'C', loggedIn: false, loggedOut: true, named: 'bob', mixup: 'bob' }));
    window.add(out('B'));
    window.add(result({ status: 502, instance: null, loggedIn: false }));
    window.add(result({ status: 0, instance: null, loggedIn: false, error: 'ECONNREFUSED' }));
    // Not logged in, answered with a product's name: not a mix-up.
    window.add(result({ user: 'bob', loggedIn: false, named: 'Teapot', mixup: 'Teapot' }));
    expect(userTallyText(window.user('bob'))).toBe('');
    expect(userTallyText(window.user('alice'))).toBe('1 logout, 1 mix-up in the last minute (B 1, C 1)');
    expect(windowSummary(window.totals())).toBe('Last minute: 5 requests, 1 unexpected logout, 1 mix-up, 2 failed');
  });

  it('names the balancer when no instance answered', () => {
    const { window } = clocked();
    window.add(result({ status: 401, instance: null, loggedIn: false, loggedOut: true }));
    expect(userTallyText(window.user('alice'))).toBe('1 logout in the last minute (on the balancer)');
  });

  it('clear forgets everything', () => {
    const { window } = clocked();
    window.add(out('B'));
    window.clear();
    expect(window.empty).toBe(true);
    expect(window.user('alice').logouts).toBe(0);
  });
});
