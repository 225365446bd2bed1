// @ts-check
/**
 * The `lab` object every lesson's check receives, composed from parts under check-api/, each adding what it offers:
 * users.js (virtual users, requests, whom an answer names), cluster-control.js (instances, kill/scale/deploy…,
 * strategy, Redis), assertions.js (fail, assert, waiting), messages.js (words for failure messages), random.js
 * (seeded randomness), sockets.js (socket.io clients), traffic.js (steady traffic); the session probes come from
 * session-probes.js. Lesson authors: type a checks.js with `LessonChecks` (below) to get `lab` described.
 */
import { addAssertions } from './check-api/assertions.js';
import { addClusterControl } from './check-api/cluster-control.js';
import { define } from './check-api/context.js';
import { addMessages } from './check-api/messages.js';
import { addRandom, seededRandom } from './check-api/random.js';
import { addSockets, LabSocket } from './check-api/sockets.js';
import { addTraffic } from './check-api/traffic.js';
import { addUsers } from './check-api/users.js';
import { createSessionProbes } from './session-probes.js';

export { LabSocket };

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
 * @property {(random: () => number) => void} [shuffle]  start the balancer's rotation at a seeded place
 */

/** @typedef {import('./check-api/traffic.js').TrafficReport} TrafficReport */
/** @typedef {import('./check-api/traffic.js').Traffic} Traffic */
/** @typedef {import('./check-api/sockets.js').SocketConnection} SocketConnection */
/** @typedef {import('./check-api/sockets.js').SocketOptions} SocketOptions */
/** @typedef {ReturnType<typeof createSessionProbes>} SessionProbes */
/** @typedef {import('./http-client.js').LabResponse} LabResponse */
/** @typedef {import('./users.js').VirtualUser} VirtualUser */
/** @typedef {import('./users.js').UserResult} UserResult */
/** @typedef {{ name: string, state: string, reason?: string }} InstanceInfo  an instance's name, state ('up', 'starting', 'crashed', 'stopped'…) and why it is in it */
/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body]  sent as JSON unless it is a string
 * @property {Record<string, string>} [headers]
 * @property {string} [via]  the instance that must serve the request, whatever the balancer would pick
 */

/**
 * The `lab` object a lesson's check receives. Everything observes behaviour through the balancer and the
 * supervisor, never the learner's source text.
 * @typedef {object} CheckApi
 * @property {AbortSignal} signal  aborted once the check is over (finished or timed out): a loop of its own should stop on `signal.aborted`
 * @property {LabResponse | undefined} lastResponse  the latest response any request of this check got: the default evidence of a failure's rerun line
 * @property {import('./users.js').UserRoutes} routes  the paths virtual users call: `{ login, visit, logout }`
 * @property {(name: string) => VirtualUser} user  a fresh virtual user with an empty cookie jar: `login()`, `visit()`, `logout()`, `request()`, each taking `{ via }` to pin an instance
 * @property {(method: string, path: string, options?: RequestOptions) => Promise<LabResponse>} request  an anonymous request through the balancer; `via` makes one instance serve it
 * @property {(response: LabResponse, expected?: string) => string | null} named  whom an answer names (see identity.js): one of this check's users, any name under a user/name key, or null; `expected` is the name the caller hopes for
 * @property {(status: number) => boolean} isSuccess  true for a 2xx status
 * @property {string} url  the balancer's address, `http://127.0.0.1:<port>`
 * @property {(user: VirtualUser, n: number) => Promise<UserResult[]>} visits  let a user visit n times in a row; their results, in order
 * @property {() => InstanceInfo[]} instances  every instance with its state ('up', 'starting', 'crashed', 'stopped'…) and why it is in it
 * @property {() => string[]} upInstances  the names of the instances that are up
 * @property {boolean} changedCluster  true once the check has changed the cluster, so the grader knows to restore it before the next one
 * @property {(name: string) => Promise<void>} kill  kill an instance with SIGKILL, like a machine dying: no shutdown handler runs
 * @property {(name: string) => Promise<void>} stop  stop an instance gracefully (SIGTERM)
 * @property {(name: string) => Promise<void>} start  start a stopped or crashed instance: a fresh process, same name
 * @property {(name: string) => Promise<void>} restart  stop an instance gracefully, then start it again
 * @property {(n: number) => Promise<void>} scale  run exactly n instances, starting new ones or stopping those with the highest names
 * @property {() => Promise<void>} deploy  rolling deploy, one instance at a time; fails the check if the new code does not come up
 * @property {(strategy: import('./rules.js').Strategy) => void} strategy  switch the balancer's strategy: 'round-robin', 'least-connections' or 'sticky'
 * @property {() => Promise<import('ioredis').Redis>} redis  an ioredis client of the lab's Redis, the one the instances use
 * @property {(timeoutMs?: number) => Promise<void>} waitForAllUp  wait until every instance is up (default 8000 ms); fails as soon as one has crashed: a crash does not heal by waiting
 * @property {(message: string, evidence?: LabResponse) => never} fail  fail the check with `message`; `evidence` is the response that showed it, for the rerun line (default: the latest one)
 * @property {(condition: unknown, message: string, evidence?: LabResponse) => void} assert  fail the check with `message` unless `condition` is truthy; `evidence` as for `fail`
 * @property {(ms: number) => Promise<void>} sleep  wait `ms` milliseconds
 * @property {<T>(probe: () => Promise<T> | T, message: string | (() => string), timeoutMs?: number) => Promise<T>} waitFor  poll `probe` until it returns a truthy value and resolve to it, or fail with `message` after `timeoutMs` (default 5000)
 * @property {(what: string | { body?: string, error?: string } | undefined, max?: number) => string} excerpt  an answer's body (or any text) folded to one line for a message, cut at a word boundary (default 160 characters)
 * @property {(result: UserResult) => string} said  what a user's answer said about them, in words: "200 from B naming alice", "401 from C (not logged in)"…
 * @property {(response: LabResponse) => string} describe  a compact account of an answer: "200 from B: {…}", or "no answer (…)" when none came
 * @property {(responses: { instance: string | null, status: number }[]) => string} tally  a compact account of responses for messages, e.g. "A: 200×4, B: 401×4"
 * @property {number} seed  the seed of `random`; set LAB_SEED in the environment to replay a run
 * @property {() => number} random  a seeded random number in [0, 1), so that a failing run can be replayed with LAB_SEED
 * @property {<T>(list: T[]) => T} pick  a random element of a non-empty list
 * @property {(options?: SocketOptions) => Promise<LabSocket>} socket  a socket.io client through the balancer (WebSocket only by default), resolved once the app announced the connection with `{ instance }`; fails the check otherwise
 * @property {(options?: { users?: string[], pauseMs?: number }) => Traffic} traffic  steady logged-in traffic (by default alice, bob and carol) while the check does something else; `stop()` ends it and returns the counts
 * @property {SessionProbes} sessions  probes every session lesson shares: login everywhere, logout everywhere, forged cookies, expiry
 * @property {() => Promise<void>} dispose  run by the grader after the check: stops traffic, closes sockets, forgets users' cookies
 */

/**
 * One check of a lesson.
 * @typedef {object} LessonCheck
 * @property {string} name  what the check proves, as the learner reads it in the report
 * @property {(lab: CheckApi) => Promise<void> | void} run  the check: passes unless it throws (use `lab.fail` / `lab.assert` for a message the learner sees)
 * @property {number} [timeoutMs]  its time limit (default 20 s)
 */

/**
 * What a lesson's checks.js exports by default, run in order: `/** @type {LessonChecks} *\/ export default [...]`.
 * @typedef {LessonCheck[]} LessonChecks
 */

/**
 * The object a lesson's check receives as `lab`. Everything observes behaviour through the balancer and the
 * supervisor, never the learner's source text.
 * @param {LabControls} controls
 * @param {AbortSignal} signal
 * @param {number} [seed]  replays the check's random choices (the grader derives it from the run's seed)
 * @param {string} [check]  the name of the check it serves, which labels every request and user event it causes
 * @returns {CheckApi}
 */
export function createCheckApi(controls, signal, seed = Number(process.env.LAB_SEED) || (Date.now() % 1_000_000) + 1, check = undefined) {
  const random = seededRandom(seed);
  // Where round-robin starts depends on the seed, so no check can rely on one fixed order of instances.
  controls.shuffle?.(random);
  /** @type {(() => void | Promise<void>)[]} */
  const cleanups = [];
  // Filled in by the parts below; each reaches the others through it, at call time.
  const api = /** @type {CheckApi} */ ({ signal });
  /** @type {import('./check-api/context.js').CheckContext} */
  const context = { controls, check, signal, seed, random, api, onDispose: (cleanup) => cleanups.push(cleanup) };
  addUsers(context);
  addClusterControl(context);
  addAssertions(context);
  addMessages(context);
  addRandom(context);
  addSockets(context);
  addTraffic(context);
  define(api, {
    sessions: createSessionProbes(api),
    async dispose() {
      // Last registered first: traffic stops before its sockets and users go.
      for (const cleanup of [...cleanups].reverse()) await cleanup();
    },
  });
  return api;
}
