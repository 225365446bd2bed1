// @ts-check
import http from 'node:http';
import { SERVED_BY } from './balancer.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * @typedef {object} LabResponse
 * @property {number} status         HTTP status, or 0 when the balancer could not be reached
 * @property {string | null} instance  the instance that answered (x-served-by), null if none did
 * @property {string} body
 * @property {unknown} json          the parsed body when it is JSON, else undefined
 * @property {Record<string, string | string[] | undefined>} headers
 * @property {number} ms
 * @property {string | undefined} error  network error, when status is 0
 */

/**
 * One request through the balancer. Never rejects: network failures come back as status 0 with `error`.
 * @param {number} port
 * @param {{ method?: string, path?: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number }} request
 * @returns {Promise<LabResponse>}
 */
export function labRequest(port, { method = 'GET', path = '/', body, headers = {}, timeoutMs = 10_000 }) {
  const started = performance.now();
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1', port, method, path, agent,
        headers: { ...(payload !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          if (/json/.test(String(res.headers['content-type']))) {
            try { json = JSON.parse(text); } catch { json = undefined; }
          }
          const served = res.headers[SERVED_BY];
          resolve({
            status: res.statusCode ?? 0, instance: typeof served === 'string' ? served : null, body: text, json,
            headers: res.headers, ms: performance.now() - started, error: undefined,
          });
        });
        res.on('error', (error) => resolve(failed(error, started)));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error) => resolve(failed(error, started)));
    req.end(payload);
  });
}

/** @param {Error} error @param {number} started @returns {LabResponse} */
function failed(error, started) {
  return { status: 0, instance: null, body: '', json: undefined, headers: {}, ms: performance.now() - started, error: error.message };
}
