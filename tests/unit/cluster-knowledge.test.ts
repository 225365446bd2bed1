import { describe, expect, it } from 'vitest';
import { ago, InstanceKnowledge, knowledgeFrom, knowledgeWords, type Knowledge } from '../../playground/client/panels/cluster/instance-knowledge.ts';
import { displayName } from '../../playground/client/panels/users/user-status.ts';
import type { InstanceView, UserResultView } from '../../playground/client/session/lab-store.ts';

const T0 = 1_700_000_000_000;

/** A user result as the supervisor reports it (the lab's own judgement in loggedIn / loggedOut / named / mixup). */
function result(user: string, action: string, instance: string | null, fields: Partial<UserResultView> = {}): UserResultView {
  return { t: T0, user, action, instance, status: 200, loggedIn: false, loggedOut: false, named: null, mixup: null, body: '', ...fields };
}
const login = (user: string, on: string, f: Partial<UserResultView> = {}) => result(user, 'login', on, { loggedIn: true, named: user, ...f });
const visitKnown = (user: string, on: string) => result(user, 'visit', on, { loggedIn: true, named: user });
const visitLoggedOut = (user: string, on: string) => result(user, 'visit', on, { status: 401, loggedOut: true });

function instances(...specs: [string, number, InstanceView['state']][]): InstanceView[] {
  return specs.map(([name, generation, state]) => ({ name, generation, state, served: 0, lastLines: [] }));
}

const kind = (k: InstanceKnowledge, instance: string, user: string) => k.get(instance, user).kind;

describe('who knows whom', () => {
  it('shows the Map trap: the instance that served the login knows Alice, the others answered her as logged out', () => {
    const k = new InstanceKnowledge();
    k.observe(instances(['A', 1, 'up'], ['B', 1, 'up'], ['C', 1, 'up']));
    k.record(login('alice', 'A'), T0);
    k.record(visitLoggedOut('alice', 'B'), T0 + 1000);
    k.record(visitLoggedOut('alice', 'C'), T0 + 2000);
    expect([kind(k, 'A', 'alice'), kind(k, 'B', 'alice'), kind(k, 'C', 'alice')]).toEqual(['knows', 'unknown', 'unknown']);
    expect(k.get('B', 'alice').expected).toBe(true);
    expect(kind(k, 'A', 'bob')).toBe('not-asked');
  });

  it('after the fix every instance knows her', () => {
    const k = new InstanceKnowledge();
    k.record(login('alice', 'A'), T0);
    for (const on of ['B', 'C', 'A']) k.record(visitKnown('alice', on), T0 + 1000);
    expect(['A', 'B', 'C'].map((i) => kind(k, i, 'alice'))).toEqual(['knows', 'knows', 'knows']);
  });

  it('keeps the latest answer per instance and user', () => {
    const k = new InstanceKnowledge();
    k.record(visitLoggedOut('alice', 'B'), T0);
    k.record(visitKnown('alice', 'B'), T0 + 5);
    expect(kind(k, 'B', 'alice')).toBe('knows');
    k.record(visitLoggedOut('alice', 'B'), T0 + 10);
    expect(kind(k, 'B', 'alice')).toBe('unknown');
    expect(k.get('B', 'alice').at).toBe(T0 + 10);
  });

  it('tells a mix-up, a logout by choice and a visit while not logged in apart', () => {
    expect(knowledgeFrom(result('alice', 'visit', 'B', { mixup: 'bob', named: 'bob', loggedOut: true }), T0)).toMatchObject({ kind: 'mixup', named: 'bob' });
    expect(knowledgeFrom(result('alice', 'logout', 'A', { status: 200 }), T0)).toMatchObject({ kind: 'logged-out' });
    expect(knowledgeFrom(result('alice', 'visit', 'C', { status: 401 }), T0)).toMatchObject({ kind: 'unknown', expected: false });
    expect(knowledgeFrom(result('alice', 'visit', 'C', { status: 200, named: null }), T0)).toMatchObject({ kind: 'unknown', expected: false });
  });

  it('learns nothing from check traffic, failures, the balancer, refused logins or unrelated requests', () => {
    const silent: UserResultView[] = [
      login('alice', 'A', { check: 'sessions survive another instance' }),
      result('alice', 'visit', 'A', { status: 502, loggedOut: false }),
      result('alice', 'visit', 'A', { status: 0, error: 'ECONNRESET' }),
      result('alice', 'visit', null, { status: 503 }),
      result('alice', 'login', 'A', { status: 400, refused: true }),
      result('alice', 'logout', 'A', { status: 404 }),
      result('alice', 'request', 'A', { status: 200 }),
      result('alice', 'visit', 'A', { status: 404 }),
    ];
    const k = new InstanceKnowledge();
    for (const r of silent) expect(k.record(r, T0), JSON.stringify(r)).toBe(false);
    expect(kind(k, 'A', 'alice')).toBe('not-asked');
    expect(knowledgeFrom(result('alice', 'request', 'A', { named: 'alice' }), T0)).toMatchObject({ kind: 'knows', action: 'request' });
  });

  it('a restarted instance has not been asked since; the others keep what they said', () => {
    const k = new InstanceKnowledge();
    k.observe(instances(['A', 1, 'up'], ['B', 1, 'up']));
    k.record(login('alice', 'A'), T0);
    k.record(visitLoggedOut('alice', 'B'), T0);
    expect(k.observe(instances(['A', 1, 'stopping'], ['B', 1, 'up']))).toBe(false);
    expect(kind(k, 'A', 'alice')).toBe('knows');
    expect(k.observe(instances(['A', 1, 'stopped'], ['B', 1, 'up']))).toBe(true);
    expect(k.get('A', 'alice')).toEqual({ kind: 'not-asked', restarted: true });
    expect(k.get('A', 'bob')).toEqual({ kind: 'not-asked' });
    expect(kind(k, 'B', 'alice')).toBe('unknown');
  });

  it('sees a process replaced by a kill, a start and a deploy (new generation)', () => {
    const k = new InstanceKnowledge();
    k.observe(instances(['A', 1, 'up']));
    k.record(login('alice', 'A'), T0);
    k.observe(instances(['A', 1, 'crashed']));
    expect(k.get('A', 'alice').restarted).toBe(true);

    k.record(visitKnown('alice', 'A'), T0);
    k.observe(instances(['A', 1, 'starting']));
    expect(kind(k, 'A', 'alice')).toBe('not-asked');

    k.observe(instances(['A', 1, 'up']));
    k.record(visitKnown('alice', 'A'), T0);
    // A rolling deploy swaps in the successor already up: only the generation tells.
    k.observe(instances(['A', 2, 'up']));
    expect(k.get('A', 'alice')).toEqual({ kind: 'not-asked', restarted: true });
  });

  it('drops a removed instance, so a new one with its name starts unasked', () => {
    const k = new InstanceKnowledge();
    k.observe(instances(['A', 1, 'up'], ['D', 1, 'up']));
    k.record(login('alice', 'D'), T0);
    k.observe(instances(['A', 1, 'up']));
    k.observe(instances(['A', 1, 'up'], ['D', 1, 'starting']));
    expect(k.get('D', 'alice')).toEqual({ kind: 'not-asked' });
  });

  it('forgets everything on reset (a new lab, a check run)', () => {
    const k = new InstanceKnowledge();
    k.observe(instances(['A', 1, 'up']));
    k.record(login('alice', 'A'), T0);
    k.reset();
    expect(k.get('A', 'alice')).toEqual({ kind: 'not-asked' });
    // The process record went too: the next observation is a first sighting, not a restart.
    k.record(login('alice', 'A'), T0);
    k.observe(instances(['A', 1, 'starting']));
    expect(kind(k, 'A', 'alice')).toBe('knows');
  });
});

describe('knowledge words', () => {
  const words = (k: Knowledge, now = T0 + 3000) => knowledgeWords('B', 'Alice', k, now, displayName);

  it('says it in a short word with an icon, and in a full sentence with the age', () => {
    expect(words({ kind: 'unknown', expected: true, action: 'visit', at: T0 })).toEqual({
      icon: '✕',
      word: 'unknown',
      tone: 'bad',
      sentence: 'B does not know Alice: it answered a visit as logged out 3 s ago.',
    });
    expect(words({ kind: 'knows', action: 'login', at: T0 })).toMatchObject({ icon: '✓', word: 'knows', tone: 'ok', sentence: "B knows Alice: it accepted Alice's login 3 s ago." });
    expect(words({ kind: 'knows', action: 'visit', at: T0 }).sentence).toBe('B knows Alice: it answered a visit naming Alice 3 s ago.');
    expect(words({ kind: 'mixup', named: 'bob', action: 'visit', at: T0 })).toMatchObject({ word: 'mix-up: Bob', tone: 'bad' });
    expect(words({ kind: 'unknown', expected: false, action: 'visit', at: T0 }).tone).toBe('neutral');
    expect(words({ kind: 'logged-out', action: 'logout', at: T0 })).toMatchObject({ word: 'logged out', tone: 'neutral' });
    expect(words({ kind: 'not-asked' })).toMatchObject({ icon: '—', word: 'not asked', sentence: 'B has not answered for Alice yet.' });
    expect(words({ kind: 'not-asked', restarted: true })).toMatchObject({ icon: '↻', word: 'not asked', sentence: 'B has not answered for Alice since its process stopped.' });
  });

  it('never uses colour alone: every kind has its own icon or word', () => {
    const all: Knowledge[] = [
      { kind: 'knows', at: T0 },
      { kind: 'unknown', expected: true, at: T0 },
      { kind: 'unknown', expected: false, at: T0 },
      { kind: 'mixup', named: 'bob', at: T0 },
      { kind: 'logged-out', at: T0 },
      { kind: 'not-asked' },
      { kind: 'not-asked', restarted: true },
    ];
    const seen = all.map((k) => `${words(k).icon} ${words(k).word}`);
    expect(new Set(seen).size).toBe(all.length);
  });

  it('ages', () => {
    expect(ago(300)).toBe('just now');
    expect(ago(3_400)).toBe('3 s ago');
    expect(ago(125_000)).toBe('2 min ago');
    expect(ago(2 * 3600_000 + 5)).toBe('2 h ago');
    expect(ago(-50)).toBe('just now');
  });
});
