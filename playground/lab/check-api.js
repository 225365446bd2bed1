// @ts-check
import { excerpt } from './excerpt.js';
import { CheckFailure } from './grader.js';
import { labRequest } from './http-client.js';
import { bodyJson, isSuccess, namedIn } from './identity.js';
import { createSessionProbes, describeAnswer } from './session-probes.js';
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
 * @property {(random: () => number) => void} [shuffle]  start the balancer's rotation at a seeded place
 */

/**
 * The object a lesson's check receives as `lab`. Everything observes behaviour through the balancer and the
 * supervisor, never the learner's source text.
 * @param {LabControls} controls
 * @param {AbortSignal} signal
 * @param {number} [seed]  replays the check's random choices (the grader derives it from the run's seed)
 */
export function createCheckApi(controls, signal, seed = Number(process.env.LAB_SEED) || (Date.now() % 1_000_000) + 1) {
  /** @type {VirtualUser[]} */
  const users = [];
  /** @type {LabSocket[]} */
  const sockets = [];
  /** @type {{ stop: () => Promise<TrafficReport> }[]} */
  const traffics = [];
  const random = seededRandom(seed);
  // Where round-robin starts depends on the seed, so no check can rely on one fixed order of instances.
  controls.shuffle?.(random);
  /** @param {import('./http-client.js').LabResponse} response */
  const seen = (response) => {
    api.lastResponse = response;
    return response;
  };
  const names = () => users.map((u) => u.name);
  const api = {
    signal,
    /** The latest response any request of this check got: the default evidence of a failure's rerun line. @type {import('./http-client.js').LabResponse | undefined} */
    lastResponse: undefined,
    /** The routes virtual users call (login, visit, logout). */
    routes: controls.routes,
    /** A fresh virtual user with an empty cookie jar. @param {string} name */
    user(name) {
      const user = new VirtualUser(name, {
        port: controls.port,
        routes: controls.routes,
        others: names,
        onResult: (result) => {
          seen(result);
          controls.onUserResult(result);
        },
      });
      users.push(user);
      return user;
    },
    /**
     * An anonymous request through the balancer; `via` makes one instance serve it.
     * @param {string} method @param {string} path @param {{ body?: unknown, headers?: Record<string, string>, via?: string }} [options]
     */
    async request(method, path, options = {}) {
      const { via, ...rest } = options;
      return seen(await labRequest(controls.port(), { method, path, ...rest, ...(via ? { tag: { instance: via } } : {}) }));
    },
    /**
     * Whom an answer names (see identity.js): one of this check's users, any name under a user/name key, or null.
     * @param {import('./http-client.js').LabResponse} response @param {string} [expected] the name the caller hopes for
     */
    named(response, expected = '') {
      return namedIn(bodyJson(response), expected, names());
    },
    isSuccess,
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
    /**
     * Fail the check. `evidence` is the response that showed it, for the rerun line (default: the latest one).
     * @param {string} message @param {import('./http-client.js').LabResponse} [evidence]
     * @returns {never}
     */
    fail(message, evidence) {
      throw new CheckFailure(message, evidence);
    },
    /** @param {unknown} condition @param {string} message @param {import('./http-client.js').LabResponse} [evidence] */
    assert(condition, message, evidence) {
      if (!condition) throw new CheckFailure(message, evidence);
    },
    /**
     * An answer's body (or any text) folded to one line for a message, cut at a word boundary.
     * @param {string | { body?: string, error?: string } | undefined} what @param {number} [max]
     */
    excerpt: (what, max = 160) => (typeof what === 'string' || what === undefined ? excerpt(what, max) : excerpt(what.body || what.error, max)),
    /**
     * What a user's answer said about them, in words: "200 from B naming alice", "401 from C (not logged in)"…
     * @param {import('./users.js').UserResult} result
     */
    said: (result) => describeAnswer(api, result, result.user),
    /**
     * A compact account of an answer: "200 from B: {…}", or "no answer (…)" when none came.
     * @param {import('./http-client.js').LabResponse} response
     */
    describe: (response) =>
      response.status === 0 ? `no answer (${response.error ?? 'connection failed'})` : `${response.status} from ${response.instance ?? 'no instance'}: ${excerpt(response.body)}`,
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
    /** The seed of `random`; set LAB_SEED in the environment to replay a run. */
    seed,
    /** A seeded random number in [0, 1), so a failing run can be replayed with LAB_SEED. */
    random,
    /** A random element of a non-empty list. @template T @param {T[]} list @returns {T} */
    pick(list) {
      if (list.length === 0) throw new Error('lab.pick needs a non-empty list');
      return /** @type {T} */ (list[Math.floor(random() * list.length)]);
    },
    /**
     * A socket.io client connected through the balancer, WebSocket only by default, so that each connection stays
     * on one instance (long-polling sends many requests, which a round-robin balancer spreads over several; pass
     * `transports: ['polling']` to see it, cookies are kept so a sticky balancer can pin it). Resolves once the
     * app has announced the connection with the `announce` event, whose first argument must carry `{ instance }`:
     * that is how the check knows where the client landed. socket.io-client reconnects by itself (quickly, here)
     * after its instance dies; every connection is recorded in `connections`, every event received in `received`.
     * @param {{ auth?: Record<string, unknown>, query?: Record<string, string>, announce?: string, timeoutMs?: number, reconnection?: boolean, transports?: ('websocket' | 'polling')[] }} [options]
     */
    async socket(options = {}) {
      const { io } = await import('socket.io-client');
      const raw = io(`http://127.0.0.1:${controls.port()}`, {
        transports: options.transports ?? ['websocket'],
        withCredentials: true,
        forceNew: true,
        auth: options.auth ?? {},
        query: options.query ?? {},
        reconnection: options.reconnection ?? true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 400,
        timeout: 3000,
      });
      const socket = new LabSocket(raw, options.announce ?? 'welcome');
      sockets.push(socket);
      const timeoutMs = options.timeoutMs ?? 5000;
      const ready = await socket.ready(timeoutMs);
      if (!ready) {
        // Read what happened before closing: close() disconnects, and a connection that came without its
        // announcement would then read as no connection at all.
        const seen = socket.lastError ? `a connection error: ${socket.lastError}` : raw.connected ? `a connection but no "${socket.announce}" event` : 'no connection';
        socket.close();
        throw new CheckFailure(
          `Expected a socket.io connection through the balancer to be announced with a "${socket.announce}" event carrying { instance } within ${timeoutMs / 1000} s; observed ${seen}.`,
        );
      }
      return socket;
    },
    /**
     * Steady logged-in traffic while a check does something else: each user logs in, then visits in a loop. A
     * visit after an accepted login that does not name the user (401/403, or 2xx naming nobody or someone else) is
     * a logout (the user logs in again and carries on); a refused login, a visit that got no answer or any other
     * status is an error. `stop()` ends the loops and returns the counts.
     * @param {{ users?: string[], pauseMs?: number }} [options]
     */
    traffic(options = {}) {
      const names = options.users ?? ['alice', 'bob', 'carol'];
      const pauseMs = options.pauseMs ?? 20;
      /** @type {TrafficReport} */
      const report = { visits: 0, loggedIn: 0, logins: 0, logouts: [], errors: [], byInstance: {} };
      let running = true;
      const loops = names.map(async (name) => {
        const user = api.user(name);
        let expectLogin = false;
        while (running && !signal.aborted) {
          if (!expectLogin) {
            const login = await user.login();
            report.logins++;
            if (login.loggedIn) expectLogin = true;
            else report.errors.push({ user: name, action: 'login', status: login.status, instance: login.instance, error: login.error ?? excerpt(login.body, 120) });
          } else {
            const visit = await user.visit();
            report.visits++;
            if (visit.instance) report.byInstance[visit.instance] = (report.byInstance[visit.instance] ?? 0) + 1;
            if (visit.loggedIn) report.loggedIn++;
            else if (visit.loggedOut) {
              report.logouts.push({ user: name, instance: visit.instance, at: Date.now(), status: visit.status, named: visit.named, response: visit });
              expectLogin = false;
            } else report.errors.push({ user: name, action: 'visit', status: visit.status, instance: visit.instance, error: visit.error ?? excerpt(visit.body, 120) });
          }
          await api.sleep(pauseMs);
        }
      });
      const handle = {
        async stop() {
          running = false;
          await Promise.all(loops);
          return report;
        },
      };
      traffics.push(handle);
      return handle;
    },
    /** Probes every session lesson shares: login everywhere, logout everywhere, forged cookies, expiry. */
    sessions: /** @type {ReturnType<typeof createSessionProbes>} */ (/** @type {unknown} */ (undefined)),
    async dispose() {
      for (const traffic of traffics) await traffic.stop();
      for (const socket of sockets) socket.close();
      for (const user of users) user.forget();
    },
  };
  api.sessions = createSessionProbes(api);
  return api;
}

/** @typedef {ReturnType<typeof createCheckApi>} CheckApi */

/**
 * @typedef {object} TrafficReport
 * @property {number} visits      visits answered, whatever the status
 * @property {number} loggedIn    visits answered 2xx naming the user
 * @property {number} logins      login attempts, including logging in again after a logout
 * @property {{ user: string, instance: string | null, at: number, status: number, named: string | null, response: import('./http-client.js').LabResponse }[]} logouts  visits after a login that did not name the user (`response`: evidence for a failure)
 * @property {{ user: string, action: string, status: number, instance: string | null, error: string | undefined }[]} errors
 * @property {Record<string, number>} byInstance  visits per instance
 */

/** @typedef {{ instance: string, readyAt: number, closedAt: number | null }} SocketConnection */

/**
 * A socket.io client used by a check, with a record of where it was connected and what it received.
 */
export class LabSocket {
  /** @param {import('socket.io-client').Socket} raw @param {string} announce */
  constructor(raw, announce) {
    this.raw = raw;
    this.announce = announce;
    /** Instance of the current connection, once announced; null while disconnected. @type {string | null} */
    this.instance = null;
    /** Every announced connection, oldest first. @type {SocketConnection[]} */
    this.connections = [];
    /** Every event received, oldest first. @type {{ event: string, args: unknown[], at: number }[]} */
    this.received = [];
    /** @type {string | undefined} */
    this.lastError = undefined;
    /** @type {(() => void)[]} */
    this.waiters = [];
    raw.onAny((event, ...args) => {
      const at = Date.now();
      this.received.push({ event, args, at });
      if (event === announce) {
        const said = /** @type {{ instance?: unknown } | undefined} */ (args[0]);
        this.instance = typeof said?.instance === 'string' ? said.instance : '?';
        this.connections.push({ instance: this.instance, readyAt: at, closedAt: null });
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    raw.on('disconnect', () => {
      const current = this.connections.at(-1);
      if (current && current.closedAt === null) current.closedAt = Date.now();
      this.instance = null;
    });
    raw.on('connect_error', (error) => {
      this.lastError = error.message;
    });
  }

  get connected() {
    return this.raw.connected && this.instance !== null;
  }

  /** Wait until something is received that makes `probe` true; false after `timeoutMs`. @param {() => boolean} probe @param {number} timeoutMs */
  async until(probe, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => { clearTimeout(timer); resolve(undefined); });
      });
    }
    return true;
  }

  /** Wait until the current connection has been announced. @param {number} [timeoutMs] */
  ready(timeoutMs = 5000) {
    return this.until(() => this.connected, timeoutMs);
  }

  /** Events named `event` received so far, as their first argument. @param {string} event */
  messages(event) {
    return this.received.filter((r) => r.event === event).map((r) => r.args[0]);
  }

  /**
   * Wait for an event named `event` whose first argument satisfies `match`; undefined after `timeoutMs`.
   * @param {string} event @param {(value: any) => boolean} [match] @param {number} [timeoutMs]
   */
  async next(event, match = () => true, timeoutMs = 2000) {
    /** @type {unknown} */
    let found;
    const seen = () => {
      const hit = this.received.find((r) => r.event === event && match(r.args[0]));
      if (hit) found = hit.args[0];
      return hit !== undefined;
    };
    return (await this.until(seen, timeoutMs)) ? found : undefined;
  }

  /**
   * Emit with an acknowledgement. Resolves to the app's answer, or undefined when none came in `timeoutMs`
   * (the instance died, or the app never calls the callback).
   * @param {string} event @param {unknown[]} args @param {number} [timeoutMs]
   */
  async request(event, args, timeoutMs = 3000) {
    try {
      return await this.raw.timeout(timeoutMs).emitWithAck(event, ...args);
    } catch {
      return undefined;
    }
  }

  close() {
    this.raw.close();
    const current = this.connections.at(-1);
    if (current && current.closedAt === null) current.closedAt = Date.now();
    this.instance = null;
  }
}

/** mulberry32: a small, fast, seeded generator. @param {number} seed */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
