// @ts-check
import { CheckFailure } from './grader.js';
import { labRequest } from './http-client.js';
import { VirtualUser } from './users.js';

/**
 * @typedef {object} LabControls
 * @property {() => number} port
 * @property {import('./users.js').UserRoutes} routes
 * @property {() => { name: string, state: string, reason?: string }[]} instances
 * @property {(name: string) => Promise<void>} kill
 * @property {(name: string) => Promise<void>} stop
 * @property {(name: string) => Promise<void>} start
 * @property {(name: string) => Promise<void>} restart
 * @property {(n: number) => Promise<void>} scale
 * @property {() => Promise<{ ok: boolean, reason?: string }>} deploy
 * @property {(strategy: string) => void} strategy
 * @property {() => Promise<import('ioredis').Redis>} redis
 * @property {(user: import('./users.js').UserResult) => void} onUserResult
 */

/**
 * The object a lesson's check receives as `lab`. Everything observes behaviour through the balancer and the
 * supervisor, never the learner's source text.
 * @param {LabControls} controls
 * @param {AbortSignal} signal
 */
export function createCheckApi(controls, signal) {
  /** @type {VirtualUser[]} */
  const users = [];
  const api = {
    signal,
    /** A fresh virtual user with an empty cookie jar. @param {string} name */
    user(name) {
      const user = new VirtualUser(name, { port: controls.port, routes: controls.routes, onResult: controls.onUserResult });
      users.push(user);
      return user;
    },
    /** An anonymous request through the balancer. @param {string} method @param {string} path @param {{ body?: unknown, headers?: Record<string, string> }} [options] */
    request(method, path, options = {}) {
      return labRequest(controls.port(), { method, path, ...options });
    },
    get url() {
      return `http://127.0.0.1:${controls.port()}`;
    },
    instances: () => controls.instances(),
    upInstances: () => controls.instances().filter((i) => i.state === 'up').map((i) => i.name),
    /** True once the check has changed the cluster, so the grader knows to restore it before the next one. */
    changedCluster: false,
    /** @param {string} name */
    kill: (name) => { api.changedCluster = true; return controls.kill(name); },
    /** @param {string} name */
    stop: (name) => { api.changedCluster = true; return controls.stop(name); },
    /** @param {string} name */
    start: (name) => { api.changedCluster = true; return controls.start(name); },
    /** @param {string} name */
    restart: (name) => { api.changedCluster = true; return controls.restart(name); },
    /** @param {number} n */
    scale: (n) => { api.changedCluster = true; return controls.scale(n); },
    /** Rolling deploy; fails the check if the new code does not come up. */
    async deploy() {
      api.changedCluster = true;
      const outcome = await controls.deploy();
      if (!outcome.ok) throw new CheckFailure(`The rolling deploy did not complete: ${outcome.reason}.`);
    },
    /** @param {string} strategy */
    strategy: (strategy) => { api.changedCluster = true; controls.strategy(strategy); },
    redis: controls.redis,
    /** @param {string} message */
    fail(message) {
      throw new CheckFailure(message);
    },
    /** @param {unknown} condition @param {string} message */
    assert(condition, message) {
      if (!condition) throw new CheckFailure(message);
    },
    /** @param {number} ms */
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    /**
     * Poll until `probe` returns a truthy value, or fail with `message` after `timeoutMs`.
     * @template T
     * @param {() => Promise<T> | T} probe @param {string | (() => string)} message @param {number} [timeoutMs]
     * @returns {Promise<T>}
     */
    async waitFor(probe, message, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline || signal.aborted) throw new CheckFailure(typeof message === 'function' ? message() : message);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /**
     * Wait until every instance is up. Fails as soon as one has crashed: a crash does not heal by waiting.
     * @param {number} [timeoutMs]
     */
    async waitForAllUp(timeoutMs = 8000) {
      const describe = () => controls.instances().map((i) => `${i.name} ${i.state}${i.reason ? ` (${i.reason})` : ''}`).join('; ');
      await api.waitFor(() => {
        const list = controls.instances();
        if (list.some((i) => i.state === 'crashed')) throw new CheckFailure(`Expected every instance to be up; observed ${describe()}.`);
        return list.length > 0 && list.every((i) => i.state === 'up');
      }, () => `Expected every instance to be up; observed ${describe()}.`, timeoutMs);
    },
    /**
     * A compact account of responses for messages, e.g. "A: 200×4, B: 401×4".
     * @param {{ instance: string | null, status: number }[]} responses
     */
    tally(responses) {
      /** @type {Map<string, number>} */
      const counts = new Map();
      for (const r of responses) {
        const key = `${r.instance ?? 'none'}: ${r.status || 'no answer'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].sort().map(([key, n]) => `${key}×${n}`).join(', ') || 'no responses';
    },
    /** Let a user visit n times in a row. @param {VirtualUser} user @param {number} n */
    async visits(user, n) {
      const results = [];
      for (let i = 0; i < n; i++) results.push(await user.visit());
      return results;
    },
    dispose() {
      for (const user of users) user.forget();
    },
  };
  return api;
}

/** @typedef {ReturnType<typeof createCheckApi>} CheckApi */
