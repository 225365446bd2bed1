// @ts-check
/**
 * The lab's load balancer: an HTTP and WebSocket proxy in front of the instances that terminates TLS in the lab's
 * story (forwarded headers), picks an instance by strategy (balancer-strategies.js), retries what was refused, and
 * answers what it could not forward in plain words.
 */
import http from 'node:http';
import net from 'node:net';
import { AFFINITY_COOKIE, affinitySetCookie, createPicker } from './balancer-strategies.js';
import { isLabHeader, redeemTag, TAG_HEADER } from './request-tags.js';
import { isStrategy, STRATEGIES } from './rules.js';

export { STRATEGIES } from './rules.js';
export { AFFINITY_COOKIE, readCookie } from './balancer-strategies.js';
/** @typedef {import('./rules.js').Strategy} Strategy */
export const SERVED_BY = 'x-served-by';
const MAX_BODY = 1024 * 1024;
/**
 * Like nginx's proxy_read_timeout: how long the balancer waits between two successive reads from an instance (the
 * wait for the first byte of the answer included) before it gives up. A socket.io long poll legitimately waits 25 s
 * for something to say, so this is a minute unless LAB_PROXY_READ_TIMEOUT_MS says otherwise. The same silence is
 * allowed to a client in the middle of its request body (nginx's client_body_timeout).
 */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;
/**
 * The balancer terminates TLS in the lab's story (production serves the site over https), so it tells the app what
 * the client used: these replace whatever the client sent under the same names, which would otherwise let a client
 * claim its own protocol, host or address. `forwarded` (RFC 7239) is dropped for the same reason.
 */
const FORWARDED_HEADERS = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-host', 'forwarded']);

/**
 * @typedef {object} RequestReport
 * @property {string | undefined} user
 * @property {string | undefined} check  the graded check that sent it (absent: the learner's own traffic)
 * @property {string} method
 * @property {string} path
 * @property {string | null} instance
 * @property {number} status
 * @property {number} ms
 */

/**
 * @typedef {object} Backend
 * @property {string} name
 * @property {number} port
 * @property {number} inflight   HTTP requests open on the instance
 * @property {number} sockets    upgraded (WebSocket) connections open on the instance
 * @property {number} served
 * @property {boolean} routable
 * @property {string} state
 * @property {string | undefined} reason
 */

/**
 * The load balancer: an HTTP and WebSocket proxy in front of the cluster's instances.
 * `readTimeoutMs` defaults to LAB_PROXY_READ_TIMEOUT_MS, else DEFAULT_READ_TIMEOUT_MS.
 * @param {{ backends: () => Backend[], describe: () => string, strategy: Strategy, onRequest: (r: RequestReport) => void, readTimeoutMs?: number }} options
 */
export function createBalancer(options) {
  let strategy = options.strategy;
  const readTimeoutMs = options.readTimeoutMs ?? readTimeoutFrom(process.env.LAB_PROXY_READ_TIMEOUT_MS);
  const picker = createPicker();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

  /** @param {Backend[]} candidates @param {http.IncomingMessage} req @param {string} [pinned] the instance a check asked for */
  function choose(candidates, req, pinned) {
    if (pinned !== undefined) return candidates.find((b) => b.name === pinned);
    return picker.pick(strategy, candidates, req.headers.cookie);
  }

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const started = performance.now();
    const tag = redeemTag(req.headers[TAG_HEADER]);
    const path = req.url ?? '/';
    /** @param {string | null} instance */
    const report = (instance) =>
      options.onRequest({ user: tag?.user, check: tag?.check, method: req.method ?? 'GET', path, instance, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10 });

    let body;
    try {
      body = hasNoBody(req) ? EMPTY : await readBody(req, readTimeoutMs);
    } catch (error) {
      if (error instanceof ClientSilent) {
        plain(res, 408, `The client sent nothing for ${seconds(readTimeoutMs)} in the middle of its request body, so the balancer gave up (its read timeout).`, { connection: 'close' });
      } else if (error instanceof BodyTooLarge) {
        plain(res, 413, `The request body is larger than ${MAX_BODY / 1024} KB; the lab balancer refuses it.`, { connection: 'close' });
        // A client that goes on sending after its answer gets no more of the balancer's time.
        res.on('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
      } else res.destroy();
      report(null);
      return;
    }
    const tried = new Set();
    for (;;) {
      const backend = choose(options.backends().filter((b) => b.routable && !tried.has(b.name)), req, tag?.instance);
      if (!backend && tag?.instance !== undefined) {
        plain(res, tried.size > 0 ? 502 : 503, `The check asked for instance ${tag.instance}, which is not serving.\n${options.describe()}`);
        report(null);
        return;
      }
      if (!backend) {
        const status = tried.size > 0 ? 502 : 503;
        const why = tried.size > 0 ? `Instance${tried.size > 1 ? 's' : ''} ${[...tried].join(', ')} refused the connection.` : 'No instance is up to serve this request.';
        plain(res, status, `${why}\n${options.describe()}\nStart or fix an instance in the cluster view; its terminal shows why it is down.`);
        report(null);
        return;
      }
      tried.add(backend.name);
      const outcome = await forward(req, res, body, backend);
      if (outcome === 'retry') continue;
      report(backend.name);
      return;
    }
  }

  /**
   * @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {Buffer} body @param {Backend} backend
   * @returns {Promise<'done' | 'retry'>}
   */
  function forward(req, res, body, backend) {
    return new Promise((resolve) => {
      backend.inflight++;
      let settled = false;
      /** @type {http.IncomingMessage | undefined} */
      let answer;
      const finish = (/** @type {'done' | 'retry'} */ outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(silence);
        backend.inflight--;
        resolve(outcome);
      };
      const headers = { ...appHeaders(req.headers), ...forwardedFor(req) };
      if (body.length > 0 || !hasNoBody(req)) headers['content-length'] = String(body.length);
      delete headers['transfer-encoding'];
      const upstream = http.request({ host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers, agent }, (incoming) => {
        answer = incoming;
        silence.refresh();
        backend.served++;
        const outHeaders = { ...incoming.headers, [SERVED_BY]: backend.name };
        const affinity = affinitySetCookie(strategy, req.headers.cookie, backend.name);
        if (affinity) outHeaders['set-cookie'] = [...[incoming.headers['set-cookie'] ?? []].flat(), affinity];
        res.writeHead(incoming.statusCode ?? 502, outHeaders);
        incoming.on('data', () => silence.refresh());
        incoming.pipe(res);
        incoming.on('end', () => finish('done'));
        incoming.on('error', () => { res.destroy(); finish('done'); });
      });
      // The read timeout: restarted by every read from the instance (the answer's head, each piece of its body).
      const silence = setTimeout(() => {
        if (settled) return;
        // The instance did send; the client is slow to take it (the pipe is paused). That silence is not the instance's.
        if (answer?.isPaused()) { silence.refresh(); return; }
        upstream.destroy();
        if (res.headersSent) res.destroy();
        else plain(res, 504, `Instance ${backend.name} sent nothing for ${seconds(readTimeoutMs)} after the request, so the balancer gave up (its read timeout).`);
        finish('done');
      }, readTimeoutMs);
      // The client went away (a closed tab, an abandoned poll): the instance's work is dropped too, as nginx does.
      res.on('close', () => {
        if (settled) return;
        if (!res.headersSent) res.statusCode = 499; // nginx's "client closed request", for the request report
        upstream.destroy();
        answer?.destroy();
        finish('done');
      });
      upstream.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
        if (settled) return;
        if (res.headersSent) { res.destroy(); finish('done'); return; }
        const neverReceived = error.code === 'ECONNREFUSED';
        const safeToRepeat = error.code === 'ECONNRESET' && (req.method === 'GET' || req.method === 'HEAD');
        if (neverReceived || safeToRepeat) { finish('retry'); return; }
        plain(res, 502, `Instance ${backend.name} failed while answering (${error.code ?? error.message}). It may have crashed; see its terminal.`);
        finish('done');
      });
      upstream.end(body);
    });
  }

  /**
   * WebSocket and other upgrades: pick an instance, replay the request head with the forwarded headers, then splice
   * the two sockets. A spliced connection has no timeout: it lasts as long as both ends keep it open.
   * @param {http.IncomingMessage} req @param {import('node:stream').Duplex} socket @param {Buffer} head
   */
  function upgrade(req, socket, head) {
    const started = performance.now();
    const tag = redeemTag(req.headers[TAG_HEADER]);
    const backend = choose(options.backends().filter((b) => b.routable), req, tag?.instance);
    const report = (/** @type {number} */ status, /** @type {string | null} */ instance) =>
      options.onRequest({ user: tag?.user, check: tag?.check, method: 'UPGRADE', path: req.url ?? '/', instance, status, ms: Math.round(performance.now() - started) });
    if (!backend) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nNo instance is up to accept this WebSocket.\n');
      report(503, null);
      return;
    }
    if (socket instanceof net.Socket) socket.setTimeout(0);
    backend.sockets++;
    let released = false;
    const release = () => { if (!released) { released = true; backend.sockets--; } };
    const upstream = net.connect(backend.port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] ?? '';
        const lower = name.toLowerCase();
        if (isLabHeader(lower) || FORWARDED_HEADERS.has(lower)) continue;
        const value = lower === 'cookie' ? withoutCookie(req.rawHeaders[i + 1], AFFINITY_COOKIE) : req.rawHeaders[i + 1];
        if (value !== undefined) lines.push(`${name}: ${value}`);
      }
      for (const [name, value] of Object.entries(forwardedFor(req))) lines.push(`${name}: ${value}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      // Name the instance in the 101 answer too, so a client can tell where its socket landed.
      upstream.once('data', (/** @type {Buffer} */ first) => {
        const end = first.indexOf('\r\n');
        socket.write(end > 0 ? Buffer.concat([first.subarray(0, end + 2), Buffer.from(`${SERVED_BY}: ${backend.name}\r\n`), first.subarray(end + 2)]) : first);
        upstream.pipe(socket);
      });
      socket.pipe(upstream);
      report(101, backend.name);
    });
    upstream.on('error', () => { socket.destroy(); release(); });
    socket.on('error', () => { upstream.destroy(); release(); });
    upstream.on('close', () => { socket.destroy(); release(); });
    socket.on('close', () => { upstream.destroy(); release(); });
  }

  const server = http.createServer((req, res) => void handle(req, res));
  // The server's own timeouts must not cut what the read timeout allows. Node's requestTimeout (300 s to receive a
  // whole request) would cut a slow upload that is still moving, so it is off and readBody gives up after the read
  // timeout of silence instead. headersTimeout (a minute for the request head, like nginx's client_header_timeout)
  // is over before a request is handled. keepAliveTimeout only runs between requests, once an answer is complete,
  // so a long poll waiting for its answer is never cut by it; an upgraded socket leaves the server's keeping.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5000;
  server.on('upgrade', upgrade);
  server.on('clientError', (_error, socket) => socket.destroy());

  return {
    server,
    get strategy() { return strategy; },
    /** Start the rotation at a place `random` picks, so a seeded check does not always find the same order. @param {() => number} random */
    shuffle(random) {
      picker.shuffle(random);
    },
    /** A strategy by name, as a command or a check gives it: anything else is refused in words. @param {string} next */
    setStrategy(next) {
      if (!isStrategy(next)) throw new Error(`unknown strategy "${next}"; use one of ${STRATEGIES.join(', ')}`);
      strategy = next;
    },
    /** @param {number} port @param {string} [host] @returns {Promise<number>} */
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    close() {
      agent.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

const EMPTY = Buffer.alloc(0);

/** A GET or HEAD without a body needs no buffering. @param {http.IncomingMessage} req */
function hasNoBody(req) {
  return (req.method === 'GET' || req.method === 'HEAD') && !req.headers['content-length'] && !req.headers['transfer-encoding'];
}

/** The client stopped sending its request body. */
class ClientSilent extends Error {}
/** The request body is over MAX_BODY. */
class BodyTooLarge extends Error {}

/**
 * The request body, given up after `silenceMs` without a byte from the client (a slow upload that keeps moving is
 * never cut). @param {http.IncomingMessage} req @param {number} silenceMs @returns {Promise<Buffer>}
 */
function readBody(req, silenceMs) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    const silence = setTimeout(() => {
      req.removeAllListeners('data');
      req.resume();
      reject(new ClientSilent('the client stopped sending'));
    }, silenceMs);
    req.on('data', (chunk) => {
      silence.refresh();
      size += chunk.length;
      if (size > MAX_BODY) {
        // Keep reading (and dropping) what the client still sends, so it gets the 413 instead of a reset; the
        // connection closes after the answer.
        clearTimeout(silence);
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge('too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { clearTimeout(silence); resolve(Buffer.concat(chunks)); });
    req.on('error', (error) => { clearTimeout(silence); reject(error); });
  });
}

/** @param {http.ServerResponse} res @param {number} status @param {string} text @param {http.OutgoingHttpHeaders} [extra] */
function plain(res, status, text, extra = {}) {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(text.endsWith('\n') ? text : text + '\n');
}

/** @param {string | undefined} value @returns {number} */
function readTimeoutFrom(value) {
  const ms = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_READ_TIMEOUT_MS;
}

/** "60 s", "1.5 s". @param {number} ms */
function seconds(ms) {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * The headers a TLS-terminating balancer adds, as AWS's ALB and nginx do: the client's address appended to the
 * X-Forwarded-For it sent (each proxy adds the address it saw), the protocol and port it used (https on 443) and the
 * Host it asked for. @param {http.IncomingMessage} req @returns {Record<string, string>}
 */
function forwardedFor(req) {
  const client = req.socket.remoteAddress ?? '';
  const sent = req.headers['x-forwarded-for'];
  const before = (Array.isArray(sent) ? sent.join(', ') : sent ?? '').trim();
  /** @type {Record<string, string>} */
  const headers = { 'x-forwarded-for': before ? `${before}, ${client}` : client, 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' };
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  return headers;
}

/**
 * The request's headers as the app may see them: the lab's own (tags, x-served-by, the affinity cookie) removed, and
 * the forwarded ones the client sent (forwardedFor replaces them).
 * @param {http.IncomingHttpHeaders} headers
 */
function appHeaders(headers) {
  /** @type {http.OutgoingHttpHeaders} */
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isLabHeader(name) || FORWARDED_HEADERS.has(name)) continue;
    if (name === 'cookie') {
      const kept = withoutCookie(Array.isArray(value) ? value.join('; ') : value, AFFINITY_COOKIE);
      if (kept !== undefined) out.cookie = kept;
    } else out[name] = value;
  }
  return out;
}

/** A Cookie header without the cookie `name`; undefined when nothing is left. @param {string | undefined} header @param {string} name */
function withoutCookie(header, name) {
  if (header === undefined) return undefined;
  const kept = header.split(';').filter((part) => part.split('=')[0]?.trim() !== name).map((part) => part.trim()).filter(Boolean);
  return kept.length ? kept.join('; ') : undefined;
}
