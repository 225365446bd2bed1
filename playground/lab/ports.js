// @ts-check
/**
 * Free ports for the lab, within the range a lab host gives it when labs share a network.
 */
import net from 'node:net';

/** @param {number} port @returns {Promise<boolean>} */
function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The lab's own port range from LAB_PORTS ("first-last"), set by a lab host whose labs share one network.
 * @returns {[number, number] | undefined}
 */
export function portRange(value = process.env.LAB_PORTS) {
  const match = /^(\d+)-(\d+)$/.exec(value ?? '');
  if (!match) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2]);
  return first > 0 && last >= first && last < 65536 ? [first, last] : undefined;
}

let cursor = 0;

/**
 * A free loopback port: from the lab's range when it has one, else any the OS offers. The port is released
 * before use, so another process could take it in between; callers that spawn a server on it treat EADDRINUSE
 * as a crash and retry with a new port.
 * @returns {Promise<number>}
 */
export async function freePort() {
  const range = portRange();
  if (!range) return anyFreePort();
  const size = range[1] - range[0] + 1;
  for (let tried = 0; tried < size; tried++) {
    const port = range[0] + ((cursor++) % size);
    if (await canListen(port)) return port;
  }
  throw new Error(`every port of this lab's range ${range[0]}-${range[1]} is in use`);
}

/**
 * Any free loopback port the OS offers (released before use, as above). Host code, tests and benches use this
 * one too.
 * @returns {Promise<number>}
 */
export function anyFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolve once something accepts TCP connections on the port, or reject after the timeout.
 * @param {number} port
 * @param {number} timeoutMs
 * @param {string} [host]
 */
export async function waitForPort(port, timeoutMs, host = '127.0.0.1') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
