import { describe, expect, it } from 'vitest';
import type { UserResultView } from '../../playground/client/session/lab-store.ts';
import { CheckTraffic, checkGroupSummary, checkOf } from '../../playground/client/panels/users/check-traffic.ts';

type CheckResult = UserResultView & { check: string };
function result(check: string, partial: Partial<UserResultView> = {}): CheckResult {
  return { user: 'dave', action: 'visit', status: 200, instance: 'A', loggedIn: true, loggedOut: false, body: '', t: 0, check, ...partial };
}
const RESTART = 'Sessions survive a restart';

describe("the checks' traffic", () => {
  it('tells a check’s result from the learner’s', () => {
    expect(checkOf(result(RESTART))).toBe(RESTART);
    const { check: _, ...learner } = result(RESTART);
    expect(checkOf(learner)).toBeUndefined();
    expect(checkOf({ ...learner, check: '' })).toBeUndefined();
  });

  it('groups results per check and counts requests, logouts, mix-ups and failures', () => {
    const traffic = new CheckTraffic();
    traffic.begin();
    const first = traffic.add(result(RESTART));
    expect(first.created).toBe(true);
    traffic.add(result(RESTART, { status: 401, loggedIn: false, loggedOut: true }));
    traffic.add(result(RESTART, { status: 200, loggedIn: false, loggedOut: true, mixup: 'erin' }));
    traffic.add(result(RESTART, { status: 200, loggedIn: false, named: 'Teapot', mixup: 'Teapot' }));
    const last = traffic.add(result(RESTART, { status: 502, loggedIn: false, instance: null }));
    expect(last.created).toBe(false);
    expect(last.group).toBe(first.group);
    expect(checkGroupSummary(last.group)).toBe('Check “Sessions survive a restart”: 5 requests, 1 logged out, 1 mix-up, 1 failed');
    const other = traffic.add(result('Logging out ends the session on every instance', { user: 'carol' }));
    expect(other.created).toBe(true);
    expect(checkGroupSummary(other.group)).toBe('Check “Logging out ends the session on every instance”: 1 request');
  });

  it('starts new groups for the same check in the next run', () => {
    const traffic = new CheckTraffic();
    traffic.begin();
    const before = traffic.add(result(RESTART)).group;
    traffic.begin();
    const after = traffic.add(result(RESTART));
    expect(after.created).toBe(true);
    expect(after.group).not.toBe(before);
    expect([before.run, after.group.run]).toEqual([1, 2]);
    expect(after.group.requests).toBe(1);
  });

  it('traffic seen before any start of the checks still forms a run', () => {
    const traffic = new CheckTraffic();
    expect(traffic.add(result(RESTART)).group).toMatchObject({ run: 1, requests: 1 });
  });
});
