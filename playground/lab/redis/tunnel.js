// @ts-check
/**
 * The sandbox end of hosted Redis. A WebContainer cannot open TCP connections to the outside, so the lab's Redis
 * clients connect to this small TCP server on 127.0.0.1 (6379 when free), and each connection is carried to the
 * lab host's relay, which joins it to this learner's Redis there. Two ways to carry it:
 *
 *  - over the page (the default in a WebContainer): the supervisor reports `tunnel` events on stdout (open, data
 *    as base64, close) and the page, which can open WebSockets, bridges each connection to the relay and writes
 *    what comes back as `tunnel` commands on the supervisor's stdin;
 *  - directly: when this Node has a global `WebSocket` and knows the relay's URL, one WebSocket per connection.
 */
import net from 'node:net';

/** Raw bytes per `tunnel` event or command: base64 of this stays well under a 4 KB terminal line. */
export const CHUNK_BYTES = 2048;
/** A connection whose far end does not take data this fast is closed rather than buffered without end. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * @typedef {{ type: 'tunnel', op: 'open' | 'data' | 'close', conn: number, data?: string }} TunnelMessage
 * @typedef {{ url: string, origin?: string }} DirectRelay
 */

/**
 * @param {{ port?: number, direct?: DirectRelay, emit?: (message: TunnelMessage) => void }} options
 *   `direct` to open WebSockets from here; otherwise `emit` reports connections for the page to carry.
 */
export async function startTunnel({ port = 6379, direct, emit }) {
  if (!direct && !emit) throw new Error('the Redis tunnel needs a relay URL or a page to carry its connections');
  if (direct && typeof globalThis.WebSocket !== 'function') {
    throw new Error(`this Node (${process.version}) has no WebSocket, so the Redis tunnel cannot reach the relay by itself`);
  }
  /** @type {Map<number, net.Socket>} */
  const connections = new Map();
  let next = 1;
  let opened = 0;

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    opened++;
    const id = next++;
    connections.set(id, socket);
    socket.on('close', () => connections.delete(id));
    socket.on('error', () => socket.destroy());
    if (direct) carryDirectly(socket, direct);
    else carryOverPage(socket, id, /** @type {(message: TunnelMessage) => void} */ (emit));
  });

  const listening = await listen(server, port).catch(async (/** @type {NodeJS.ErrnoException} */ error) => {
    if (error.code !== 'EADDRINUSE') throw error;
    return listen(server, 0);
  });

  return {
    port: listening,
    /** Open connections now, and in total. */
    stats: () => ({ open: connections.size, opened }),
    /**
     * A `tunnel` command from the page: bytes from the relay for a connection, or its end.
     * @param {{ op?: unknown, conn?: unknown, data?: unknown }} command
     */
    receive(command) {
      const socket = connections.get(Number(command.conn));
      if (!socket) return;
      if (command.op === 'data' && typeof command.data === 'string') {
        socket.write(Buffer.from(command.data, 'base64'));
        if (socket.writableLength > MAX_PENDING_BYTES) socket.destroy();
      } else if (command.op === 'close') {
        connections.delete(Number(command.conn));
        socket.destroy();
      }
    },
    close() {
      for (const socket of connections.values()) socket.destroy();
      connections.clear();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/**
 * @param {net.Server} server
 * @param {number} port
 * @returns {Promise<number>}
 */
function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (/** @type {Error} */ error) => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * @param {net.Socket} socket
 * @param {number} id
 * @param {(message: TunnelMessage) => void} emit
 */
function carryOverPage(socket, id, emit) {
  let ended = false;
  emit({ type: 'tunnel', op: 'open', conn: id });
  socket.on('data', (/** @type {Buffer} */ chunk) => {
    for (let at = 0; at < chunk.length; at += CHUNK_BYTES) {
      emit({ type: 'tunnel', op: 'data', conn: id, data: chunk.subarray(at, at + CHUNK_BYTES).toString('base64') });
    }
  });
  socket.on('close', () => {
    if (ended) return;
    ended = true;
    emit({ type: 'tunnel', op: 'close', conn: id });
  });
}

/**
 * @param {net.Socket} socket
 * @param {DirectRelay} relay
 */
function carryDirectly(socket, relay) {
  // Node's WebSocket (undici) takes extra handshake headers; a browser-like one ignores the second argument.
  const Socket = /** @type {new (url: string, init?: unknown) => WebSocket} */ (globalThis.WebSocket);
  const ws = new Socket(relay.url, relay.origin ? { headers: { origin: relay.origin } } : undefined);
  ws.binaryType = 'arraybuffer';
  /** @type {Buffer[]} */
  let pending = [];
  let pendingBytes = 0;
  socket.on('data', (/** @type {Buffer} */ chunk) => {
    if (ws.readyState === ws.OPEN) return ws.send(asBytes(chunk));
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes > MAX_PENDING_BYTES) socket.destroy();
  });
  ws.addEventListener('open', () => {
    for (const chunk of pending) ws.send(asBytes(chunk));
    pending = [];
  });
  ws.addEventListener('message', (event) => {
    const data = event.data;
    socket.write(typeof data === 'string' ? Buffer.from(data) : Buffer.from(/** @type {ArrayBuffer} */ (data)));
  });
  ws.addEventListener('close', () => socket.destroy());
  ws.addEventListener('error', () => socket.destroy());
  socket.on('close', () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  });
}

/** A Buffer as the bytes WebSocket#send takes (the types allow only ArrayBuffer-backed views). */
const asBytes = (/** @type {Buffer} */ chunk) => /** @type {Uint8Array<ArrayBuffer>} */ (chunk);
