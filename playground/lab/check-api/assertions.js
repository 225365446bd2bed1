// @ts-check
/**
 * How a check fails: at once, when a condition is false, or when something does not happen in time; and how it
 * waits.
 */
import { CheckFailure } from '../grader.js';
import { define } from './context.js';

/** @param {import('./context.js').CheckContext} context */
export function addAssertions({ signal, api }) {
  define(api, {
    fail(message, evidence) {
      throw new CheckFailure(message, evidence);
    },
    assert(condition, message, evidence) {
      if (!condition) throw new CheckFailure(message, evidence);
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async waitFor(probe, message, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline || signal.aborted) throw new CheckFailure(typeof message === 'function' ? message() : message);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  });
}
