// @ts-check
/**
 * Virtual users and anonymous requests through the balancer, and whom an answer names. Every response either of
 * them gets becomes `lastResponse`, the default evidence of a failure's rerun line.
 */
import { labRequest } from '../http-client.js';
import { bodyJson, isSuccess, namedIn } from '../identity.js';
import { VirtualUser } from '../users.js';
import { define } from './context.js';

/** @param {import('./context.js').CheckContext} context */
export function addUsers({ controls, check, api, onDispose }) {
  /** @type {VirtualUser[]} */
  const users = [];
  const names = () => users.map((u) => u.name);
  /** @param {import('../http-client.js').LabResponse} response */
  const seen = (response) => {
    api.lastResponse = response;
    return response;
  };
  onDispose(() => {
    for (const user of users) user.forget();
  });
  define(api, {
    lastResponse: undefined,
    routes: controls.routes,
    user(name) {
      const user = new VirtualUser(name, {
        port: controls.port,
        routes: controls.routes,
        others: names,
        check,
        onResult: (result) => {
          seen(result);
          controls.onUserResult(result);
        },
      });
      users.push(user);
      return user;
    },
    async request(method, path, options = {}) {
      const { via, ...rest } = options;
      const tag = via || check ? { instance: via, check } : undefined;
      return seen(await labRequest(controls.port(), { method, path, ...rest, ...(tag ? { tag } : {}) }));
    },
    named(response, expected = '') {
      return namedIn(bodyJson(response), expected, names());
    },
    isSuccess,
    get url() {
      return `http://127.0.0.1:${controls.port()}`;
    },
    async visits(user, n) {
      const results = [];
      for (let i = 0; i < n; i++) results.push(await user.visit());
      return results;
    },
  });
}
