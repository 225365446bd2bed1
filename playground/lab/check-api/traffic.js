// @ts-check
/**
 * Steady logged-in traffic while a check does something else, counted: visits, logins, logouts and errors.
 */
import { excerpt } from '../excerpt.js';
import { define } from './context.js';

/**
 * @typedef {object} TrafficReport
 * @property {number} visits      visits answered, whatever the status
 * @property {number} loggedIn    visits answered 2xx naming the user
 * @property {number} logins      login attempts, including logging in again after a logout
 * @property {{ user: string, instance: string | null, at: number, status: number, named: string | null, response: import('../http-client.js').LabResponse }[]} logouts  visits after a login that did not name the user (`response`: evidence for a failure)
 * @property {{ user: string, action: string, status: number, instance: string | null, error: string | undefined }[]} errors
 * @property {Record<string, number>} byInstance  visits per instance
 */

/** @typedef {{ stop: () => Promise<TrafficReport> }} Traffic  running traffic; `stop()` ends its loops and returns the counts */

/** @param {import('./context.js').CheckContext} context */
export function addTraffic({ signal, api, onDispose }) {
  /** @type {Traffic[]} */
  const traffics = [];
  onDispose(async () => {
    for (const traffic of traffics) await traffic.stop();
  });
  define(api, {
    // Each user logs in, then visits in a loop. A visit after an accepted login that does not name the user
    // (401/403, or 2xx naming nobody or someone else) is a logout (the user logs in again and carries on); a
    // refused login, a visit that got no answer or any other status is an error.
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
      /** @type {Traffic} */
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
  });
}
