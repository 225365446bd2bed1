// @ts-check
/**
 * Words for failure messages: an answer's body cut to one line, what an answer said about a user, a compact
 * account of one response or a tally of many.
 */
import { excerpt } from '../excerpt.js';
import { describeAnswer } from '../session-probes.js';
import { define } from './context.js';

/** @param {import('./context.js').CheckContext} context */
export function addMessages({ api }) {
  define(api, {
    excerpt: (what, max = 160) => (typeof what === 'string' || what === undefined ? excerpt(what, max) : excerpt(what.body || what.error, max)),
    said: (result) => describeAnswer(api, result, result.user),
    describe: (response) =>
      response.status === 0 ? `no answer (${response.error ?? 'connection failed'})` : `${response.status} from ${response.instance ?? 'no instance'}: ${excerpt(response.body)}`,
    tally(responses) {
      /** @type {Map<string, number>} */
      const counts = new Map();
      for (const r of responses) {
        const key = `${r.instance ?? 'none'}: ${r.status || 'no answer'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].sort().map(([key, n]) => `${key}×${n}`).join(', ') || 'no responses';
    },
  });
}
