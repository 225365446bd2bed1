// @ts-check
import http from 'node:http';

/** Path the supervisor probes; any HTTP answer (even 404) proves the instance is listening and responsive. */
export const PROBE_PATH = '/__lab/health';

/**
 * One HTTP GET to an instance. Resolves true on any response, false on refusal, reset or timeout.
 * @param {number} port
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
export function probe(port, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: PROBE_PATH, method: 'GET', agent: false, headers: { 'x-lab-probe': '1', connection: 'close' } },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
