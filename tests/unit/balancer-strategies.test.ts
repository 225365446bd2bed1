import { describe, expect, it } from 'vitest';
import { AFFINITY_COOKIE, PICKERS, affinitySetCookie, createPicker, readCookie } from '../../playground/lab/balancer-strategies.js';
import { STRATEGIES, isStrategy, type Strategy } from '../../playground/lab/rules.js';
import { seededRandom } from '../../playground/lab/check-api/random.js';

const backend = (name: string, inflight = 0, sockets = 0) => ({ name, inflight, sockets });
const three = () => [backend('a'), backend('b'), backend('c')];

/** The names `count` successive picks give. */
function picks(picker: ReturnType<typeof createPicker>, strategy: Strategy, candidates: ReturnType<typeof backend>[], count: number, cookie?: string) {
  return Array.from({ length: count }, () => picker.pick(strategy, candidates, cookie)?.name);
}

const seeded = seededRandom;

describe('balancer strategies', () => {
  it('has a picker for exactly the strategies in STRATEGIES', () => {
    expect(Object.keys(PICKERS).sort()).toEqual([...STRATEGIES].sort());
  });

  it('round-robin cycles through the candidates in order', () => {
    expect(picks(createPicker(), 'round-robin', three(), 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('shuffle starts the rotation where the random number says', () => {
    const half = createPicker();
    half.shuffle(() => 0.5); // turn 500000, 500000 % 3 = 2
    expect(picks(half, 'round-robin', three(), 4)).toEqual(['c', 'a', 'b', 'c']);
    const low = createPicker();
    low.shuffle(() => 0.0000011); // turn 1
    expect(picks(low, 'round-robin', three(), 3)).toEqual(['b', 'c', 'a']);
  });

  it('shuffle with the same seed gives the same order', () => {
    const orders = [1, 2].map(() => {
      const picker = createPicker();
      picker.shuffle(seeded(42));
      return picks(picker, 'round-robin', [...three(), backend('d'), backend('e')], 6);
    });
    expect(orders[0]).toEqual(orders[1]);
    const start = ['a', 'b', 'c', 'd', 'e'].indexOf(orders[0]?.[0] ?? '');
    expect(orders[0]).toEqual(Array.from({ length: 6 }, (_, i) => ['a', 'b', 'c', 'd', 'e'][(start + i) % 5]));
    const starts = Array.from({ length: 20 }, (_, seed) => {
      const picker = createPicker();
      picker.shuffle(seeded(seed));
      return picker.pick('round-robin', three(), undefined)?.name;
    });
    expect(new Set(starts).size).toBe(3);
  });

  it('least-connections picks the fewest requests plus sockets, ties in turn', () => {
    const candidates = [backend('a', 1, 1), backend('b', 0, 1), backend('c', 1, 0), backend('d', 0, 3)];
    expect(picks(createPicker(), 'least-connections', candidates, 4)).toEqual(['b', 'c', 'b', 'c']);
    expect(createPicker().pick('least-connections', [backend('a', 0, 2), backend('b', 1, 0)], undefined)?.name).toBe('b');
    expect(createPicker().pick('least-connections', [backend('a', 2, 0), backend('b', 0, 1)], undefined)?.name).toBe('b');
  });

  it('sticky follows a cookie naming a candidate, without using a turn', () => {
    const picker = createPicker();
    expect(picks(picker, 'sticky', three(), 3, `theme=dark; ${AFFINITY_COOKIE}=b`)).toEqual(['b', 'b', 'b']);
    expect(picks(picker, 'sticky', three(), 2)).toEqual(['a', 'b']);
  });

  it('sticky goes in turn when the cookie names no candidate or is malformed', () => {
    expect(picks(createPicker(), 'sticky', three(), 4, `${AFFINITY_COOKIE}=z`)).toEqual(['a', 'b', 'c', 'a']);
    expect(picks(createPicker(), 'sticky', three(), 4, `${AFFINITY_COOKIE}=%`)).toEqual(['a', 'b', 'c', 'a']);
    expect(picks(createPicker(), 'sticky', three(), 2, 'other=b')).toEqual(['a', 'b']);
  });

  it('gives undefined for no candidates, whatever the strategy, and uses no turn', () => {
    const picker = createPicker();
    for (const strategy of STRATEGIES) expect(picker.pick(strategy, [], `${AFFINITY_COOKIE}=a`)).toBeUndefined();
    expect(picker.pick('round-robin', three(), undefined)?.name).toBe('a');
  });

  it('shares one turn across strategies', () => {
    const picker = createPicker();
    expect(picker.pick('round-robin', three(), undefined)?.name).toBe('a');
    expect(picker.pick('least-connections', three(), undefined)?.name).toBe('b');
    expect(picker.pick('sticky', three(), undefined)?.name).toBe('c');
  });
});

describe('affinity cookie', () => {
  it('is set under sticky when the request does not already name the instance', () => {
    expect(affinitySetCookie('sticky', undefined, 'b')).toBe(`${AFFINITY_COOKIE}=b; Path=/; HttpOnly; SameSite=Lax`);
    expect(affinitySetCookie('sticky', `${AFFINITY_COOKIE}=a`, 'b')).toBe(`${AFFINITY_COOKIE}=b; Path=/; HttpOnly; SameSite=Lax`);
    expect(affinitySetCookie('sticky', `${AFFINITY_COOKIE}=b`, 'b')).toBeUndefined();
    expect(affinitySetCookie('round-robin', undefined, 'b')).toBeUndefined();
    expect(affinitySetCookie('least-connections', undefined, 'b')).toBeUndefined();
  });

  it('reads a cookie by name, decoded, and a malformed escape as written', () => {
    expect(readCookie(`x=1; ${AFFINITY_COOKIE}=app%2D1`, AFFINITY_COOKIE)).toBe('app-1');
    expect(readCookie(`${AFFINITY_COOKIE}=%`, AFFINITY_COOKIE)).toBe('%');
    expect(readCookie('x=1', AFFINITY_COOKIE)).toBeUndefined();
    expect(readCookie(undefined, AFFINITY_COOKIE)).toBeUndefined();
  });
});

describe('isStrategy', () => {
  it('accepts exactly the names in STRATEGIES', () => {
    for (const strategy of STRATEGIES) expect(isStrategy(strategy)).toBe(true);
    for (const other of ['random', 'Sticky', '', undefined, 1]) expect(isStrategy(other)).toBe(false);
  });
});
