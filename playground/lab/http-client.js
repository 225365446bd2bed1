// @ts-check
/**
 * The virtual users' and checks' HTTP client through the balancer: one response shape (status, instance, body,
 * JSON, what was sent) for messages and rerun lines.
 */
import http from 'node:http';
import { SERVED_BY } from './balancer.js';
import { dropTag, issueTag, TAG_HEADER } from './request-tags.js';

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
 * @property {SentRequest} request   what was sent, for messages and rerun lines
 */

/**
 * @typedef {object} SentRequest
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} headers  as the app receives them, lab-internal ones left out
 * @property {string | undefined} body
 */

/**
 * One request through the balancer. Never rejects: network failures come back as status 0 with `error`.
 * `tag` tells the balancer (never the app) who sent it and, for checks, which instance must serve it.
 * @param {number} port
 * @param {{ method?: string, path?: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number, tag?: import('./request-tags.js').RequestTag }} request
 * @returns {Promise<LabResponse>}
 */
export function labRequest(port, { method = 'GET', path = '/', body, headers = {}, timeoutMs = 10_000, tag }, retried = false) {
  const started = performance.now();
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  /** @type {SentRequest} */
  const sent = {
    method, path, body: payload,
    headers: { ...(payload !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
  };
  const token = tag ? issueTag(tag) : undefined;
  return new Promise((resolve) => {
    const done = (/** @type {LabResponse} */ response) => {
      if (token) dropTag(token);
      resolve(response);
    };
    const req = http.request(
      {
        host: '127.0.0.1', port, method, path, agent,
        headers: { ...sent.headers, ...(token ? { [TAG_HEADER]: token } : {}) },
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
          done({
            status: res.statusCode ?? 0, instance: typeof served === 'string' ? served : null, body: text, json,
            headers: res.headers, ms: performance.now() - started, error: undefined, request: sent,
          });
        });
        res.on('error', (error) => done(failed(error, started, sent)));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error) => {
      // A kept-alive connection the server closed just as this request went out (its idle timeout): the request
      // never reached the app, so it is sent again on a fresh connection, as browsers do.
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      if (req.reusedSocket && !retried && (code === 'ECONNRESET' || code === 'EPIPE')) {
        if (token) dropTag(token);
        resolve(labRequest(port, { method, path, body, headers, timeoutMs, tag }, true));
        return;
      }
      done(failed(error, started, sent));
    });
    req.end(payload);
  });
}

/** @param {Error} error @param {number} started @param {SentRequest} request @returns {LabResponse} */
function failed(error, started, request) {
  return { status: 0, instance: null, body: '', json: undefined, headers: {}, ms: performance.now() - started, error: error.message, request };
}
