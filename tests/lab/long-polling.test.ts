/**
 * socket.io over long-polling through the lab's balancer, as lesson 7 tells it: each poll is an ordinary HTTP
 * request carrying a session id only the instance that opened it knows. Behind the sticky strategy the affinity
 * cookie keeps every poll on that instance, and an idle poll, which the server holds until its next ping (25 s),
 * is answered rather than cut; behind round-robin the next request lands on another instance, which answers
 * 400 "Session ID unknown", and the client starts over again and again. Real supervisor, three socket.io
 * instances, socket.io-client in this process. The two cases run side by side on two labs.
 */
import { describe, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { LabProcess } from '../../playground/server/lab-process.ts';
import type { Strategy } from '../../playground/lab/rules.js';
import type { LabEvent } from '../../playground/protocol/lab-events.ts';
import { eventOf, eventually, get, PACKAGE_JSON } from './helpers.ts';

const APP = [
  PACKAGE_JSON,
  {
    path: 'server.js',
    content: `import http from 'node:http';
import { Server } from 'socket.io';

const id = process.env.INSTANCE_ID;
const server = http.createServer((req, res) => res.end('ok'));
// socket.io's defaults, spelled out: an idle poll is held until the next ping, 25 s after the last one.
const io = new Server(server, { pingInterval: 25_000, pingTimeout: 20_000 });
io.on('connection', (socket) => {
  socket.emit('welcome', { instance: id });
  socket.on('echo', (text, ack) => ack({ instance: id, text }));
});
server.listen(Number(process.env.PORT));
`,
  },
];

/** Run `body` against a fresh lab of three instances behind `strategy`; the lab is gone afterwards. */
async function withLab(strategy: Strategy, body: (lab: LabProcess, events: LabEvent[]) => Promise<void>): Promise<void> {
  const lab = await LabProcess.create({ files: APP });
  const events: LabEvent[] = [];
  lab.on('event', (event) => events.push(event));
  try {
    await lab.send({ type: 'start', instances: 3, strategy });
    await body(lab, events);
  } finally {
    await lab.destroy();
  }
}

/**
 * A long-polling client through the balancer. withCredentials makes engine.io-client keep cookies in Node (its own
 * jar), as a browser would, so the balancer's affinity cookie comes back with every poll; check-api.js does the same.
 */
function pollingClient(port: number, reconnection: boolean): Socket {
  return io(`http://127.0.0.1:${port}`, {
    transports: ['polling'],
    withCredentials: true,
    forceNew: true,
    reconnection,
    reconnectionDelay: 100,
    reconnectionDelayMax: 400,
    timeout: 5000,
  });
}

const socketIoRequests = (events: LabEvent[]) => events.filter(eventOf('request', (e) => String(e.path).startsWith('/socket.io/')));

/** engine.io-client's error for a failed poll carries the HTTP status as its description. */
type PollError = Error & { description?: unknown };

describe('socket.io long-polling through the balancer', () => {
  it.concurrent('sticky: a polling client held for 35 s (past a ping and the old 10 s cut) stays connected on one instance and still exchanges events', { timeout: 90_000 }, async ({ expect }) => {
    await withLab('sticky', async (lab, events) => {
      const client = pollingClient(lab.balancerPort, false);
      const trouble: string[] = [];
      client.on('disconnect', (reason) => trouble.push(`disconnect: ${reason}`));
      client.on('connect_error', (error) => trouble.push(`connect_error: ${error.message}`));
      try {
        const welcome = await new Promise<{ instance: string }>((resolve, reject) => {
          client.once('welcome', resolve);
          client.once('connect_error', reject);
        });
        await new Promise((r) => setTimeout(r, 35_000));
        expect(trouble).toEqual([]);
        expect(client.connected).toBe(true);
        const reply = await client.timeout(3000).emitWithAck('echo', 'still here');
        expect(reply).toEqual({ instance: welcome.instance, text: 'still here' });

        const requests = socketIoRequests(events);
        // Every poll (and every POST) went to the instance that holds the session, and none was refused or cut.
        expect(new Set(requests.map((r) => r.instance))).toEqual(new Set([welcome.instance]));
        expect(requests.filter((r) => r.status !== 200)).toEqual([]);
        // The idle poll was held until the server's ping, 25 s: longer than the old fixed cut at 10 s.
        expect(Math.max(...requests.map((r) => Number(r.ms)))).toBeGreaterThan(20_000);
      } finally {
        client.close();
      }
    });
  });

  it.concurrent('round-robin: the next poll lands on another instance, which answers 400 "Session ID unknown", and the client starts over again and again', { timeout: 60_000 }, async ({ expect }) => {
    await withLab('round-robin', async (lab, events) => {
      const client = pollingClient(lab.balancerPort, true);
      const errors: PollError[] = [];
      const disconnects: string[] = [];
      client.on('connect_error', (error) => errors.push(error));
      client.on('disconnect', (reason) => disconnects.push(reason));
      try {
        await eventually(() => errors.length + disconnects.length >= 3, 'three failed connection attempts', 15_000);
        // Whatever it manages in between, it cannot hold a session long enough to get an answer.
        await expect(client.timeout(2000).emitWithAck('echo', 'anyone?')).rejects.toThrow();
      } finally {
        client.close();
      }
      const seen = `connection errors: ${errors.map((e) => `${e.message} (${String(e.description)})`).join('; ')}; disconnects: ${disconnects.join('; ')}`;
      expect(errors.filter((e) => e.description === 400).length, seen).toBeGreaterThan(0);
      const requests = socketIoRequests(events);
      expect(requests.filter((r) => r.status === 400).length).toBeGreaterThan(0);
      // The session's requests were spread over the instances, as round-robin does.
      expect(new Set(requests.map((r) => r.instance)).size).toBeGreaterThan(1);

      // What those 400s say (the client's error keeps the status, not the body), by hand: open a session, poll it.
      const handshake = await get(lab.balancerPort, '/socket.io/?EIO=4&transport=polling');
      const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
      const poll = await get(lab.balancerPort, `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
      expect(poll.servedBy).not.toBe(handshake.servedBy);
      expect(poll.status).toBe(400);
      expect(poll.body).toMatch(/Session ID unknown/);
    });
  });
});
