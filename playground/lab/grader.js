// @ts-check
import { pathToFileURL } from 'node:url';

/** A failed expectation inside a check: its message is shown to the learner as is. */
export class CheckFailure extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/**
 * @typedef {object} CheckDefinition
 * @property {string} name
 * @property {(lab: any) => Promise<void> | void} run
 * @property {number} [timeoutMs]
 */

/** @typedef {{ name: string, status: 'pass' | 'fail' | 'error', message: string | null, ms: number }} CheckResult */
/** @typedef {{ version: 2, status: 'pass' | 'fail' | 'error', message: string | null, tests: CheckResult[] }} GradeReport */

/**
 * Load a lesson's checks module: `export default [{ name, run(lab), timeoutMs? }, …]`.
 * @param {string} file
 * @returns {Promise<CheckDefinition[]>}
 */
export async function loadChecks(file) {
  const module = await import(`${pathToFileURL(file).href}?v=${Date.now()}`);
  const checks = module.default ?? module.checks;
  if (!Array.isArray(checks) || checks.length === 0) throw new Error(`${file} must export default a non-empty array of checks`);
  for (const [i, check] of checks.entries()) {
    if (!check || typeof check.name !== 'string' || typeof check.run !== 'function') {
      throw new Error(`check #${i + 1} in ${file} needs a string "name" and a function "run(lab)"`);
    }
  }
  return checks;
}

/**
 * Run checks one after another. Each gets a fresh `lab` API from `makeApi` and its own time limit; a check that
 * never settles fails with a timeout message and the run moves on.
 * @param {CheckDefinition[]} checks
 * @param {{ makeApi: (signal: AbortSignal) => Promise<any>, prepare?: () => Promise<void>, defaultTimeoutMs?: number, onResult?: (r: CheckResult) => void }} options
 * @returns {Promise<GradeReport>}
 */
export async function runChecks(checks, { makeApi, prepare, defaultTimeoutMs = 20_000, onResult }) {
  /** @type {CheckResult[]} */
  const tests = [];
  for (const check of checks) {
    const started = performance.now();
    const limit = check.timeoutMs ?? defaultTimeoutMs;
    const controller = new AbortController();
    /** @type {CheckResult} */
    let result;
    try {
      if (prepare) await prepare();
      const api = await makeApi(controller.signal);
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`timed out: the check did not finish within ${limit / 1000} s (observed no result; expected one in time). A request may be hanging on an instance that never answers.`)), limit);
      });
      try {
        await Promise.race([check.run(api), timeout]);
      } finally {
        clearTimeout(timer);
        controller.abort();
        await api.dispose?.();
      }
      result = { name: check.name, status: 'pass', message: null, ms: elapsed(started) };
    } catch (error) {
      const err = /** @type {Error} */ (error);
      const expected = err instanceof CheckFailure || err instanceof TimeoutError;
      result = {
        name: check.name,
        status: expected ? 'fail' : 'error',
        message: expected ? err.message : `The check itself failed with ${err.name}: ${err.message}`,
        ms: elapsed(started),
      };
    }
    tests.push(result);
    onResult?.(result);
  }
  const status = tests.every((t) => t.status === 'pass') ? 'pass' : 'fail';
  return { version: 2, status, message: null, tests };
}

class TimeoutError extends Error {}

/** @param {number} started */
function elapsed(started) {
  return Math.round(performance.now() - started);
}
