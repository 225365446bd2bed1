// @ts-check
/**
 * socket.io clients connected through the balancer (`lab.socket`), each a LabSocket that records where it was
 * connected and every event it received.
 */
import { CheckFailure } from '../grader.js';
import { dropTag, issueStandingTag, TAG_HEADER } from '../request-tags.js';
import { define } from './context.js';

/**
 * @typedef {object} SocketOptions
 * @property {Record<string, unknown>} [auth]  the handshake's `auth` (socket.handshake.auth on the server)
 * @property {Record<string, string>} [query]  the handshake's query string
 * @property {string} [announce]  the event the app announces a connection with (default "welcome"), carrying `{ instance }`
 * @property {number} [timeoutMs]  how long to wait for the announcement (default 5000)
 * @property {boolean} [reconnection]  reconnect by itself after its instance dies (default true)
 * @property {('websocket' | 'polling')[]} [transports]  default WebSocket only, so that a connection stays on one instance
 */

/** @param {import('./context.js').CheckContext} context */
export function addSockets({ controls, check, api, onDispose }) {
  /** @type {LabSocket[]} */
  const sockets = [];
  // One tag for all of this check's socket.io requests (polls, upgrades, reconnections), which carry fixed headers.
  /** @type {string | undefined} */
  let tag;
  onDispose(() => {
    for (const socket of sockets) socket.close();
    if (tag) dropTag(tag);
  });
  define(api, {
    // WebSocket only by default, so that each connection stays on one instance (long-polling sends many requests,
    // which a round-robin balancer spreads over several; pass `transports: ['polling']` to see it, cookies are kept
    // so a sticky balancer can pin it). Resolves once the app has announced the connection with the `announce`
    // event, whose first argument must carry `{ instance }`: that is how the check knows where the client landed.
    // socket.io-client reconnects by itself (quickly, here) after its instance dies; every connection is recorded
    // in `connections`, every event received in `received`.
    async socket(options = {}) {
      const { io } = await import('socket.io-client');
      if (check !== undefined) tag ??= issueStandingTag({ check });
      const raw = io(`http://127.0.0.1:${controls.port()}`, {
        transports: options.transports ?? ['websocket'],
        withCredentials: true,
        forceNew: true,
        ...(tag ? { extraHeaders: { [TAG_HEADER]: tag } } : {}),
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
  });
}

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
