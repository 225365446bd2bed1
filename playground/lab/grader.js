// @ts-check
/**
 * Runs a lesson's checks one at a time, each with its own seed, time limit and fresh `lab`, into a report.
 */
import { pathToFileURL } from 'node:url';

/** A failed expectation inside a check: its message is shown to the learner as is. */
export class CheckFailure extends Error {
  /**
   * @param {string} message
   * @param {import('./http-client.js').LabResponse} [evidence]  the response that showed the failure, for the rerun line
   */
  constructor(message, evidence) {
    super(message);
    this.name = 'CheckFailure';
    this.evidence = evidence;
  }
}

/**
 * @typedef {object} CheckDefinition
 * @property {string} name
 * @property {(lab: import('./check-api.js').CheckApi) => Promise<void> | void} run
 * @property {number} [timeoutMs]
 */

/**
 * @typedef {{ name: string, status: 'pass' | 'fail' | 'error', message: string | null, ms: number, seed: number, reproduce?: { curl: string, instance: string | null } }} CheckResult
 * `seed` replays the check's random choices (`npm run check -- <slug> --seed N`); `reproduce.curl` is the request
 * that showed a failure, and `reproduce.instance` the instance that answered it (curl cannot pick one).
 */
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
 * The checks to run when only some are asked for (by exact name), keeping each one's place in the lesson, which
 * its seed depends on. Unknown names are an error that lists the lesson's checks.
 * @param {CheckDefinition[]} checks @param {string[] | undefined} only
 * @returns {{ check: CheckDefinition, index: number }[]}
 */
export function selectChecks(checks, only) {
  const all = checks.map((check, index) => ({ check, index }));
  if (!only || only.length === 0) return all;
  const unknown = only.filter((name) => !checks.some((c) => c.name === name));
  if (unknown.length) {
    throw new Error(`no check named ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the checks are: ${checks.map((c) => JSON.stringify(c.name)).join(', ')}`);
  }
  return all.filter(({ check }) => only.includes(check.name));
}

/**
 * The seed of check number `index` in a run seeded with `seed`: rerunning one check alone replays its choices.
 * @param {number} seed @param {number} index
 */
export function checkSeed(seed, index) {
  return ((Math.imul(seed >>> 0, 2654435761) + index * 40503 + 1) >>> 0) || 1;
}

/**
 * Run checks one after another. Each gets a fresh `lab` API from `makeApi` (told the check's name, which labels the
 * traffic it causes) and its own time limit; a check that never settles fails with a timeout message and the run
 * moves on.
 * @param {CheckDefinition[]} checks
 * @param {{ makeApi: (signal: AbortSignal, seed: number, name: string) => Promise<any>, prepare?: () => Promise<void>, defaultTimeoutMs?: number, onResult?: (r: CheckResult) => void, seed?: number, only?: string[] }} options
 * @returns {Promise<GradeReport & { seed: number }>}
 */
export async function runChecks(checks, { makeApi, prepare, defaultTimeoutMs = 20_000, onResult, seed = randomSeed(), only }) {
  /** @type {CheckResult[]} */
  const tests = [];
  for (const { check, index } of selectChecks(checks, only)) {
    const started = performance.now();
    const checkSeedValue = checkSeed(seed, index);
    /** @type {any} */
    let api;
    const limit = check.timeoutMs ?? defaultTimeoutMs;
    const controller = new AbortController();
    /** @type {CheckResult} */
    let result;
    try {
      if (prepare) await prepare();
      api = await makeApi(controller.signal, checkSeedValue, check.name);
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
      result = { name: check.name, status: 'pass', message: null, ms: elapsed(started), seed };
    } catch (error) {
      const err = /** @type {Error} */ (error);
      const expected = err instanceof CheckFailure || err instanceof TimeoutError;
      const evidence = (err instanceof CheckFailure ? err.evidence : undefined) ?? api?.lastResponse;
      result = {
        name: check.name,
        status: expected ? 'fail' : 'error',
        message: expected ? err.message : `The check itself failed with ${err.name}: ${err.message}`,
        ms: elapsed(started),
        seed,
        ...(evidence?.request ? { reproduce: { curl: curlLine(evidence.request), instance: evidence.instance } } : {}),
      };
    }
    tests.push(result);
    onResult?.(result);
  }
  const status = tests.every((t) => t.status === 'pass') ? 'pass' : 'fail';
  return { version: 2, status, message: null, tests, seed };
}

export function randomSeed() {
  return Math.floor(Math.random() * 0xfffffffe) + 1;
}

/**
 * A curl command that sends the same request to the balancer of `npm run lab` (port 3000). Lab-internal headers
 * are left out: they never reach the app.
 * @param {import('./http-client.js').SentRequest} request
 */
export function curlLine(request) {
  const quote = (/** @type {string} */ text) => `'${text.replace(/'/g, `'\\''`)}'`;
  const parts = ['curl', '-i'];
  if (request.method !== 'GET') parts.push('-X', request.method);
  parts.push(quote(`http://127.0.0.1:3000${request.path}`));
  for (const [name, value] of Object.entries(request.headers)) parts.push('-H', quote(`${name}: ${value}`));
  if (request.body !== undefined) parts.push('--data', quote(request.body));
  return parts.join(' ');
}

class TimeoutError extends Error {}

/** @param {number} started */
function elapsed(started) {
  return Math.round(performance.now() - started);
}
