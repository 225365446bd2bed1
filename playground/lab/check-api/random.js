// @ts-check
/**
 * The check's seeded randomness, so that a failing run can be replayed with LAB_SEED: the seed, random numbers,
 * and a random pick from a list.
 */
import { define } from './context.js';

/** mulberry32: a small, fast, seeded generator. @param {number} seed */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {import('./context.js').CheckContext} context */
export function addRandom({ seed, random, api }) {
  define(api, {
    seed,
    random,
    /** @template T @param {T[]} list @returns {T} */
    pick(list) {
      if (list.length === 0) throw new Error('lab.pick needs a non-empty list');
      return /** @type {T} */ (list[Math.floor(random() * list.length)]);
    },
  });
}
