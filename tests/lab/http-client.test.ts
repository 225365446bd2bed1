import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { labRequest } from '../../playground/lab/http-client.js';

let server: net.Server | undefined;
const sockets = new Set<net.Socket>();
afterEach(async () => {
  // The client's agent keeps its connection open: close it from this side too.
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * A server that answers the first request on each connection with keep-alive, then resets the connection when a
 * second request arrives on it: what a server closing an idle kept-alive connection looks like to an unlucky client.
 */
async function resettingServer() {
  const seen = { connections: 0, answered: 0 };
  server = net.createServer((socket) => {
    seen.connections++;
    sockets.add(socket);
    let requests = 0;
    socket.on('error', () => undefined);
    socket.on('data', () => {
      if (++requests > 1) return socket.resetAndDestroy();
      seen.answered++;
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, seen };
}

describe('the lab’s HTTP client', () => {
  it('sends a request again on a fresh connection when a kept-alive one is reset under it', async () => {
    const { port, seen } = await resettingServer();
    expect((await labRequest(port, { path: '/first' })).status).toBe(200);
    const second = await labRequest(port, { path: '/second' });
    expect(second).toMatchObject({ status: 200, body: 'ok', error: undefined });
    expect(seen).toEqual({ connections: 2, answered: 2 });
  });

  it('reports a reset on a fresh connection as a failure, without retrying', async () => {
    server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const answer = await labRequest((server.address() as net.AddressInfo).port, { path: '/' });
    expect(answer.status).toBe(0);
    expect(answer.error).toMatch(/ECONNRESET|socket hang up/);
  });
});
