// @ts-check
import { USER_HEADER } from './balancer.js';
import { CookieJar } from './cookie-jar.js';
import { labRequest } from './http-client.js';

export const DEFAULT_USERS = ['alice', 'bob', 'carol'];

/** @typedef {{ login: string, visit: string, logout: string }} UserRoutes */
/** @typedef {import('./http-client.js').LabResponse & { user: string, action: string, loggedIn: boolean, loggedOut: boolean }} UserResult */

/**
 * A simulated person using the app through the balancer, with their own cookies. `expectsLogin` remembers
 * whether they logged in, so a visit answered 401 afterwards is reported as an unexpected logout.
 */
export class VirtualUser {
  /**
   * @param {string} name
   * @param {{ port: () => number, routes: UserRoutes, onResult?: (result: UserResult) => void }} options
   */
  constructor(name, options) {
    this.name = name;
    this.options = options;
    this.jar = new CookieJar();
    this.expectsLogin = false;
    /** False once the app answered the login route with 404: it has no logins, so traffic only visits. */
    this.canLogin = true;
    this.lastVisitLoggedOut = false;
  }

  /** @param {string} action @param {{ method?: string, path?: string, body?: unknown }} request */
  async send(action, request) {
    const response = await labRequest(this.options.port(), {
      ...request,
      headers: { [USER_HEADER]: this.name, ...(this.jar.cookies.size ? { cookie: this.jar.header() } : {}) },
    });
    const setCookie = response.headers['set-cookie'];
    if (setCookie) this.jar.store([setCookie].flat());
    const ok = response.status >= 200 && response.status < 300;
    let loggedIn = false;
    if (action === 'login') loggedIn = ok;
    else if (action === 'visit') loggedIn = response.status === 200;
    const loggedOut = action === 'visit' && this.expectsLogin && response.status === 401;
    if (action === 'login' && ok) this.expectsLogin = true;
    if (action === 'login' && response.status === 404) this.canLogin = false;
    if (action === 'visit') this.lastVisitLoggedOut = loggedOut;
    if (action === 'logout') this.expectsLogin = false;
    /** @type {UserResult} */
    const result = { ...response, user: this.name, action, loggedIn, loggedOut };
    this.options.onResult?.(result);
    return result;
  }

  login() {
    return this.send('login', { method: 'POST', path: this.options.routes.login, body: { user: this.name } });
  }

  visit() {
    return this.send('visit', { method: 'GET', path: this.options.routes.visit });
  }

  logout() {
    return this.send('logout', { method: 'POST', path: this.options.routes.logout, body: {} });
  }

  /** Any other request as this user (a lesson's own action). @param {string} method @param {string} path @param {unknown} [body] */
  request(method, path, body) {
    return this.send('request', { method, path, body });
  }

  forget() {
    this.jar.clear();
    this.expectsLogin = false;
    this.lastVisitLoggedOut = false;
  }
}

/**
 * Steady traffic: the given users take turns visiting at `rps` requests per second, logging in first.
 * @param {{ users: VirtualUser[], rps: number }} options
 */
export function startTraffic({ users, rps }) {
  if (!(rps > 0 && rps <= 200)) throw new Error(`traffic rate must be between 1 and 200 requests per second, got ${rps}`);
  if (users.length === 0) throw new Error('traffic needs at least one user');
  let stopped = false;
  let inflight = 0;
  const timer = setInterval(() => {
    if (stopped || inflight >= 50) return;
    // Random, not in turn: with 3 users taking turns over 3 round-robin instances, each user would land on the
    // same instance every time and the traffic would hide exactly the bug it is there to show.
    const user = users[Math.floor(Math.random() * users.length)];
    if (!user) return;
    inflight++;
    // A user who was just logged out logs in again, as a person would, so steady traffic keeps showing it.
    const visit = !user.canLogin || (user.expectsLogin && !user.lastVisitLoggedOut);
    const step = visit ? user.visit() : user.login();
    void step.finally(() => inflight--);
  }, 1000 / rps);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
