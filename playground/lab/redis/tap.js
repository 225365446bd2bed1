// @ts-check
import net from 'node:net';
import { freePort, portRange } from '../ports.js';
import { readableCommand } from './readable-argument.js';
import { RespRequestParser } from './resp-requests.js';

/**
 * A TCP pass-through in front of Redis that counts the commands going by, so the cluster view can show what the
 * instances ask of Redis whatever the backend (redis-server, js-redis-server or an external URL).
 * @param {{ host: string, port: number }} upstream
 */
export async function startRedisTap(upstream) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  /** @type {string[]} */
  const recent = [];
  let total = 0;
  let connections = 0;
  /** @type {Set<net.Socket>} */
  const sockets = new Set();

  const server = net.createServer((client) => {
    connections++;
    const server = net.connect(upstream.port, upstream.host);
    sockets.add(client);
    sockets.add(server);
    const parser = new RespRequestParser((args, raw) => {
      const name = (args[0] ?? '').toUpperCase();
      if (!name) return;
      total++;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      recent.push(readableCommand(raw));
      if (recent.length > 12) recent.shift();
    });
    client.on('data', (/** @type {Buffer} */ chunk) => parser.push(chunk));
    client.pipe(server);
    server.pipe(client);
    const close = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('error', close);
    server.on('error', close);
    client.on('close', close);
    server.on('close', close);
  });
  const wanted = portRange() ? await freePort() : 0;
  await new Promise((resolve) => server.listen(wanted, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    summary() {
      return { total, connections, commands: Object.fromEntries(counts), recent: [...recent] };
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
