import { describe, expect, it } from 'vitest';
import type { UserResultView } from '../../playground/client/session/lab-store.ts';
import { announcement, describeRelogin, describeResult, INITIAL_STATUS, isMixup, isProblem, isRelogin, nextUserStatus, userLook, USERS } from '../../playground/client/panels/users/user-status.ts';

function result(partial: Partial<UserResultView>): UserResultView {
  return { user: 'alice', action: 'visit', status: 200, instance: 'A', loggedIn: false, loggedOut: false, body: '', t: 0, ...partial };
}

function replay(...results: UserResultView[]) {
  return results.reduce(nextUserStatus, INITIAL_STATUS);
}

describe('user looks', () => {
  it('gives Alice, Bob and Carol distinct colours and shapes, everyone else grey diamonds', () => {
    expect(new Set(USERS.map((u) => u.colorVar)).size).toBe(3);
    expect(new Set(USERS.map((u) => u.shape)).size).toBe(3);
    expect(userLook('bob').name).toBe('Bob');
    expect(userLook('check-dave')).toMatchObject({ name: 'Check-dave', shape: 'diamond', colorVar: '--user-other' });
    expect(userLook(undefined)).toMatchObject({ name: 'anonymous', shape: 'diamond' });
  });
});

describe('user status', () => {
  it('starts as not logged in', () => {
    expect(INITIAL_STATUS.label).toBe('not logged in');
  });

  it('is logged in on the instance that took the login', () => {
    expect(replay(result({ action: 'login', status: 200, instance: 'A', loggedIn: true }))).toMatchObject({ kind: 'logged-in', label: 'logged in on A', tone: 'ok' });
  });

  it('reports an unexpected logout naming the instance that did not know the session', () => {
    const status = replay(
      result({ action: 'login', status: 200, instance: 'A', loggedIn: true }),
      result({ action: 'visit', status: 401, instance: 'B', loggedOut: true }),
    );
    expect(status).toMatchObject({ kind: 'logged-out', tone: 'bad', instance: 'B' });
    expect(status.label).toBe('logged out on B');
    expect(status.label).toContain('B');
  });

  it('follows a successful visit on another instance (shared sessions)', () => {
    expect(
      replay(result({ action: 'login', status: 200, instance: 'A', loggedIn: true }), result({ action: 'visit', status: 200, instance: 'C', loggedIn: true })).label,
    ).toBe('logged in on C');
  });

  it('a 200 is not a login: only an answer naming the user is', () => {
    expect(replay(result({ action: 'visit', status: 200, instance: 'B', loggedIn: false }))).toMatchObject({ kind: 'not-logged-in', label: 'not logged in' });
    const namesNobody = replay(result({ action: 'login', loggedIn: true }), result({ action: 'visit', status: 200, instance: 'B', loggedOut: true, named: null }));
    expect(namesNobody).toMatchObject({ kind: 'logged-out', tone: 'bad', label: 'logged out on B (the answer names nobody)' });
    const mixup = replay(result({ action: 'login', loggedIn: true }), result({ action: 'visit', status: 200, instance: 'C', loggedOut: true, named: 'bob', mixup: 'bob' }));
    expect(mixup).toMatchObject({ kind: 'logged-out', tone: 'bad', label: 'answered as Bob on C: session mix-up' });
    expect(describeResult(result({ status: 200, instance: 'C', loggedOut: true, mixup: 'bob' }))).toMatchObject({ tone: 'bad', word: 'mix-up: answered as Bob' });
    expect(describeResult(result({ status: 200, instance: 'C' }))).toMatchObject({ tone: 'neutral', word: 'not logged in' });
  });

  it('a refused login is never followed by "logged in"', () => {
    const status = replay(result({ action: 'login', status: 404, instance: 'A', refused: true }), result({ action: 'visit', status: 200, instance: 'B' }));
    expect(status).toMatchObject({ kind: 'not-logged-in', label: 'not logged in' });
  });

  it('a visit answered 401 without a login is just "not logged in"', () => {
    expect(replay(result({ action: 'visit', status: 401, instance: 'B' }))).toMatchObject({ kind: 'not-logged-in', tone: 'neutral' });
  });

  it('logging out by choice is neutral', () => {
    expect(replay(result({ action: 'login', loggedIn: true }), result({ action: 'logout', status: 204, instance: 'C' }))).toMatchObject({ kind: 'not-logged-in', tone: 'neutral', label: 'logged out (by choice)' });
  });

  it('failures say what answered', () => {
    expect(replay(result({ action: 'visit', status: 502, instance: null })).label).toBe('visit failed (502 from the balancer)');
    expect(replay(result({ action: 'login', status: 0, instance: null, error: 'ECONNREFUSED' })).label).toBe('login failed (no answer: ECONNREFUSED)');
    expect(replay(result({ action: 'login', status: 404, instance: 'A' }))).toMatchObject({ kind: 'error', label: 'login refused (404 from A)' });
  });
});

describe('log lines', () => {
  it('reads "Alice visit → B 401" with a word that carries the outcome', () => {
    expect(describeResult(result({ status: 401, instance: 'B', loggedOut: true }))).toEqual({ text: 'Alice visit → B 401', tone: 'bad', word: 'logged out', icon: '✕' });
    expect(describeResult(result({ action: 'login', status: 200, instance: 'A', loggedIn: true }))).toMatchObject({ text: 'Alice login → A 200', tone: 'ok', word: 'logged in' });
    expect(describeResult(result({ user: 'bob', status: 503, instance: null }))).toMatchObject({ text: 'Bob visit → balancer 503', tone: 'bad', word: 'failed' });
    expect(describeResult(result({ status: 401, instance: 'C' }))).toMatchObject({ tone: 'neutral', word: 'not logged in' });
  });

  it('announces one result in full and many as a count that names logouts', () => {
    expect(announcement([])).toBe('');
    expect(announcement([result({ status: 401, instance: 'B', loggedOut: true })])).toBe('Alice visit → B 401 logged out');
    expect(
      announcement([result({}), result({ status: 401, instance: 'B', loggedOut: true }), result({ status: 502, instance: null }), result({})]),
    ).toBe('4 new results, 1 logged out, 1 failed');
  });
});

describe('re-logins and problems', () => {
  const again = result({ action: 'login', status: 200, instance: 'A', loggedIn: true, relogin: true });

  it('a re-login is one sentence naming where the user was logged out', () => {
    expect(isRelogin(again)).toBe(true);
    expect(describeRelogin(again, 'B')).toEqual({ text: 'Alice logged in again on A after being logged out on B', tone: 'again', word: 'logged in again', icon: '↻' });
    expect(describeRelogin(again, null).text).toBe('Alice logged in again on A after an unexpected logout');
  });

  it('only a working login marked by the lab is a re-login', () => {
    expect(isRelogin(result({ action: 'login', loggedIn: true }))).toBe(false);
    expect(isRelogin(result({ action: 'login', status: 502, instance: null, relogin: true }))).toBe(false);
    expect(isRelogin(result({ action: 'visit', loggedIn: true, relogin: true }))).toBe(false);
  });

  it('problems are logouts, mix-ups, failures and re-logins; a plain visit or login is not one', () => {
    expect(isProblem(result({ loggedIn: true }))).toBe(false);
    expect(isProblem(result({ action: 'login', loggedIn: true }))).toBe(false);
    expect(isProblem(result({ status: 401, loggedOut: true }))).toBe(true);
    expect(isProblem(result({ loggedOut: true, mixup: 'bob' }))).toBe(true);
    expect(isProblem(result({ status: 503, instance: null }))).toBe(true);
    expect(isProblem(again)).toBe(true);
    // Refused without a login first is the expected answer, not a problem.
    expect(isProblem(result({ status: 401 }))).toBe(false);
  });

  it('an answer naming someone else is a mix-up only for a user who expected to be logged in', () => {
    const teapot = result({ status: 200, instance: 'B', named: 'Teapot', mixup: 'Teapot' });
    expect(isMixup(teapot)).toBe(false);
    expect(isProblem(teapot)).toBe(false);
    expect(describeResult(teapot)).toMatchObject({ tone: 'neutral', word: 'not logged in' });
    expect(isMixup(result({ status: 200, loggedOut: true, named: 'bob', mixup: 'bob' }))).toBe(true);
    expect(isMixup(result({ action: 'login', status: 200, named: 'bob', mixup: 'bob' }))).toBe(true);
  });

  it('announces re-logins among many results', () => {
    expect(announcement([result({ status: 401, instance: 'B', loggedOut: true }), again])).toBe('2 new results, 1 logged out, 1 logged in again');
  });
});
