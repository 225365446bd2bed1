// @ts-check
/**
 * Virtual users (Alice, Bob, Carol…) who log in, visit and log out through the balancer, judged by whom the app's
 * answer names; and steady traffic of them.
 */
import { CookieJar } from './cookie-jar.js';
import { labRequest } from './http-client.js';
import { bodyJson, isDenied, isSuccess, namedIn } from './identity.js';
import { MAX_TRAFFIC_RPS } from './rules.js';

export const DEFAULT_USERS = ['alice', 'bob', 'carol'];

/** @typedef {{ via?: string }} SendOptions  `via`: the instance that must serve the request (checks only) */

/** @typedef {{ login: string, visit: string, logout: string }} UserRoutes */
/**
 * @typedef {object} UserJudgement
 * @property {string} user
 * @property {string} action     login | visit | logout | request
 * @property {boolean} loggedIn  login: accepted (2xx); visit: answered 2xx naming this user
 * @property {boolean} loggedOut a visit after an accepted login that was refused (401/403) or named nobody or someone else
 * @property {string | null} named  whom the answer named (see identity.js)
 * @property {string | null} mixup  someone else's name where this user's was expected: a session mix-up
 * @property {boolean} refused   a login not answered 2xx
 * @property {boolean} relogin   an accepted login after an unexpected logout of this user: they had to log in again
 * @property {string | undefined} check  the graded check this user acts for (undefined: one of the learner's users)
 */
/** @typedef {import('./http-client.js').LabResponse & UserJudgement} UserResult */

/**
 * A simulated person using the app through the balancer, with their own cookies, judged by whom the app says
 * they are (identity.js). `expectsLogin` remembers an accepted login, so a later visit that does not name them is
 * reported as a logout; `loggedOutUnexpectedly` holds from such a visit until the next accepted login, which is
 * then a re-login.
 */
export class VirtualUser {
  /**
   * @param {string} name
   * @param {{ port: () => number, routes: UserRoutes, onResult?: (result: UserResult) => void, others?: () => Iterable<string>, check?: string }} options
   *   `check`: the graded check this user belongs to, which labels every request it sends
   */
  constructor(name, options) {
    this.name = name;
    this.options = options;
    this.jar = new CookieJar();
    this.expectsLogin = false;
    /** False once the app answered the login route with 404: it has no logins, so traffic only visits. */
    this.canLogin = true;
    /** Set by a visit that found this user logged out after an accepted login; cleared by the next accepted login or a logout. */
    this.loggedOutUnexpectedly = false;
    /** @type {{ header: string, reason: string }[]} */
    this.refusedCookies = [];
  }

  /**
   * @param {string} action
   * @param {{ method?: string, path?: string, body?: unknown, headers?: Record<string, string> }} request
   * @param {SendOptions} [options]
   */
  async send(action, request, options = {}) {
    const path = request.path ?? '/';
    const cookie = this.jar.header(path);
    const response = await labRequest(this.options.port(), {
      ...request,
      headers: { ...(cookie ? { cookie } : {}), ...request.headers },
      tag: { user: this.name, instance: options.via, check: this.options.check },
    });
    const setCookie = response.headers['set-cookie'];
    /** Cookies of this answer a browser would not keep, with why. */
    this.refusedCookies = setCookie ? this.jar.store([setCookie].flat(), path) : [];
    const ok = isSuccess(response.status);
    const named = namedIn(bodyJson(response), this.name, this.options.others?.() ?? []);
    const mixup = named !== null && named !== this.name ? named : null;
    let loggedIn = false;
    let loggedOut = false;
    let relogin = false;
    if (action === 'login') {
      loggedIn = ok && mixup === null;
      if (ok) {
        relogin = this.loggedOutUnexpectedly;
        this.expectsLogin = true;
        this.loggedOutUnexpectedly = false;
      }
      if (response.status === 404) this.canLogin = false;
    } else if (action === 'visit') {
      loggedIn = ok && named === this.name;
      // Only an answer about the session counts: a 5xx or no answer is an error, not a logout.
      loggedOut = this.expectsLogin && !loggedIn && (ok || isDenied(response.status));
      if (loggedOut) this.loggedOutUnexpectedly = true;
    } else if (action === 'logout' && ok) {
      // Logging out on purpose ends the story: the next login is a fresh one, not a re-login.
      this.expectsLogin = false;
      this.loggedOutUnexpectedly = false;
    }
    /** @type {UserResult} */
    const result = {
      ...response, user: this.name, action, loggedIn, loggedOut, named, mixup, refused: action === 'login' && !ok, relogin, check: this.options.check,
    };
    this.options.onResult?.(result);
    return result;
  }

  /** @param {SendOptions} [options] */
  login(options) {
    return this.send('login', { method: 'POST', path: this.options.routes.login, body: { user: this.name } }, options);
  }

  /** @param {SendOptions} [options] */
  visit(options) {
    return this.send('visit', { method: 'GET', path: this.options.routes.visit }, options);
  }

  /** @param {SendOptions} [options] */
  logout(options) {
    return this.send('logout', { method: 'POST', path: this.options.routes.logout, body: {} }, options);
  }

  /**
   * Any other request as this user (a lesson's own action).
   * @param {string} method @param {string} path @param {unknown} [body] @param {SendOptions & { headers?: Record<string, string> }} [options]
   */
  request(method, path, body, options = {}) {
    return this.send('request', { method, path, body, headers: options.headers }, options);
  }

  /** Drop every cookie and what the user expected of the app (which may have changed since): the next login is a first one. */
  forget() {
    this.jar.clear();
    this.expectsLogin = false;
    this.canLogin = true;
    this.loggedOutUnexpectedly = false;
  }
}

/**
 * Steady traffic: the given users visit at `rps` requests per second in all, each logging in first and one thing
 * at a time, as a person would.
 * @param {{ users: VirtualUser[], rps: number }} options
 */
export function startTraffic({ users, rps }) {
  if (!(rps > 0 && rps <= MAX_TRAFFIC_RPS)) throw new Error(`traffic rate must be between 1 and ${MAX_TRAFFIC_RPS} requests per second, got ${rps}`);
  if (users.length === 0) throw new Error('traffic needs at least one user');
  let stopped = false;
  /** Users waiting for an answer: a user acts again only once the last answer came (and was judged). */
  const busy = new Set();
  const timer = setInterval(() => {
    if (stopped || busy.size >= 50) return;
    // Random, not in turn: with 3 users taking turns over 3 round-robin instances, each user would land on the
    // same instance every time and the traffic would hide exactly the bug it is there to show.
    const idle = users.filter((u) => !busy.has(u));
    const user = idle[Math.floor(Math.random() * idle.length)];
    if (!user) return;
    busy.add(user);
    // A user who was unexpectedly logged out logs in again, as a person would, so steady traffic keeps showing it.
    const visit = !user.canLogin || (user.expectsLogin && !user.loggedOutUnexpectedly);
    const step = visit ? user.visit() : user.login();
    void step.finally(() => busy.delete(user));
  }, 1000 / rps);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
