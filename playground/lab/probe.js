// @ts-check
/**
 * Health probes of an instance: does it accept connections, and does it react to a request at all.
 */
import http from 'node:http';
import net from 'node:net';

/** Path the supervisor probes; any HTTP answer (even 404) proves the instance is listening and responsive. */
export const PROBE_PATH = '/__lab/health';

/**
 * Sent when the HTTP probe gets no answer. Not HTTP: Node's own parser rejects it by itself (a 400 and a closed
 * socket, or whatever the app's `clientError` handler does), before any of the app's request handlers run. That
 * only happens while the event loop turns, so any reaction tells a server that does not answer plain requests
 * (a bare socket.io server) apart from a blocked one.
 */
const NUDGE = 'LAB-HEALTH-CHECK\r\n\r\n';
const NUDGE_AFTER_MS = 200;

/**
 * Whether something accepts TCP connections on the port: an instance is up once it listens, whatever it answers.
 * @param {number} port
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
export function accepts(port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (/** @type {boolean} */ open) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * One HTTP GET to an instance. Resolves true on any response, false on refusal, reset or timeout.
 * @param {number} port
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
export function probe(port, timeoutMs) {
  return respond(port, timeoutMs, { nudge: false }).then((reaction) => reaction === 'answered');
}

/**
 * @typedef {'answered' | 'reacted' | 'silent' | 'refused'} Reaction
 * answered: an HTTP response to the probe; reacted: no answer, but the process handled the connection (its
 * event loop turns); silent: connections are accepted (by the kernel) and nothing happens; refused: nothing
 * listens on the port.
 */

/**
 * How a running instance reacts: an HTTP probe, and if it is not answered soon, a malformed request too.
 * @param {number} port
 * @param {number} timeoutMs
 * @param {{ nudge?: boolean }} [options]
 * @returns {Promise<Reaction>}
 */
export function respond(port, timeoutMs, { nudge = true } = {}) {
  return new Promise((resolve) => {
    let settled = false;
    /** @type {net.Socket | undefined} */
    let raw;
    /** @param {Reaction} reaction */
    const finish = (reaction) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(nudgeTimer);
      req.destroy();
      raw?.destroy();
      resolve(reaction);
    };
    const timer = setTimeout(() => finish('silent'), timeoutMs);
    const req = http.request(
      { host: '127.0.0.1', port, path: PROBE_PATH, method: 'GET', agent: false, headers: { 'x-lab-probe': '1', connection: 'close' } },
      (res) => {
        res.resume();
        finish('answered');
      },
    );
    req.on('error', (error) => finish(/** @type {NodeJS.ErrnoException} */ (error).code === 'ECONNREFUSED' ? 'refused' : nudge ? 'reacted' : 'silent'));
    req.end();
    const nudgeTimer = setTimeout(() => {
      if (!nudge || settled) return;
      const socket = net.connect(port, '127.0.0.1');
      raw = socket;
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        socket.write(NUDGE);
      });
      socket.on('data', () => finish('reacted'));
      socket.once('end', () => finish('reacted'));
      socket.once('close', () => {
        if (connected) finish('reacted');
      });
      socket.once('error', (error) => {
        if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ECONNREFUSED') finish('refused');
        else if (connected) finish('reacted');
      });
    }, Math.min(NUDGE_AFTER_MS, timeoutMs / 3));
  });
}
