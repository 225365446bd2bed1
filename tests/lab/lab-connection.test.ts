/**
 * LabConnection on its own: a real WebSocket pair on loopback, with a context of the test's own (a counting lab
 * registry, a lesson loader that can fail), so the connection's contract with its host is checked directly. The
 * lab-host tests cover the same connection behind attachLabHost.
 */
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_LIMITS, type LabLimits } from '../../playground/server/host-config.ts';
import { LabConnection, labRegistry, type LabConnectionContext, type LabEntry } from '../../playground/server/lab-connection.ts';
import { chooseIsolation } from '../../playground/server/lab-sandbox.ts';
import { SlotPool } from '../../playground/server/lab-slots.ts';
import { LabWatchdog } from '../../playground/server/lab-watchdog.ts';
import { loadLesson } from '../../playground/course/lessons.ts';
import { eventually, processesOfLab } from './helpers.ts';
import type { Message } from './host-support.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

interface Setup {
  limits?: Partial<LabLimits>;
  heartbeatMs?: number;
  inUse?: number;
  closing?: boolean;
  loadLesson?: LabConnectionContext['loadLesson'];
}

/** A WebSocket server whose every connection is a LabConnection with a test context. */
async function serveConnections(setup: Setup = {}) {
  const limits: LabLimits = { ...DEFAULT_LIMITS, ...setup.limits };
  const isolation = chooseIsolation('auto');
  const labRoot = path.join(os.tmpdir(), 'stateless-lab');
  const watchdog = new LabWatchdog(limits);
  const labs = new Map<string, LabEntry>();
  const logs: Record<string, unknown>[] = [];
  const counts = { opening: 0, begun: 0, ended: 0 };
  const registry = labRegistry(labs);
  const context: LabConnectionContext = {
    limits,
    hostedLab: { isolation, limits, slots: new SlotPool(labRoot, { switchUsers: isolation.switchUsers }), watchdog, labRoot },
    labs: {
      ...registry,
      inUse: () => (setup.inUse ?? 0) + registry.inUse(),
      beginOpening: () => {
        counts.opening++;
        counts.begun++;
        registry.beginOpening();
      },
      endOpening: () => {
        counts.opening--;
        counts.ended++;
        registry.endOpening();
      },
    },
    isClosing: () => setup.closing ?? false,
    hostName: 'test-host',
    heartbeatMs: setup.heartbeatMs ?? 60_000,
    log: (entry) => logs.push(entry),
    loadLesson: setup.loadLesson ?? loadLesson,
  };
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws) => new LabConnection(ws, context));
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const port = (wss.address() as { port: number }).port;
  stops.push(async () => {
    for (const client of wss.clients) client.terminate();
    await Promise.all([...labs.values()].map(({ hosted }) => hosted.destroy()));
    watchdog.stop();
    await new Promise((resolve) => wss.close(resolve));
  });
  return { port, labs, logs, counts };
}

function tab(port: number, options: { autoPong?: boolean } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/lab`, options);
  const messages: Message[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  const next = (predicate: (m: Message) => boolean, timeoutMs = 5000) => eventually(() => messages.find(predicate), 'a matching host message', timeoutMs);
  return { ws, messages, opened, closed, next, send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}

describe('LabConnection', () => {
  it('answers malformed and premature messages in arrival order', async () => {
    const { port } = await serveConnections();
    const page = tab(port);
    await page.opened;
    page.ws.send(Buffer.from('binary'), { binary: true });
    page.send('not json');
    page.send({ op: 'write', files: [] });
    page.send({ op: 'command', id: 7, command: { type: 'stop' } });
    page.send({ op: 'nonsense' });
    page.send({ op: 'command', id: 8, command: { type: 'scale', instances: 99 } });
    page.send({ op: 'command', id: 9, command: { type: 'explode' } });
    await eventually(() => page.messages.length >= 7, 'seven answers');
    expect(page.messages).toEqual([
      { op: 'error', message: 'binary frames are not part of the lab protocol' },
      { op: 'error', message: 'message is not valid JSON' },
      { op: 'error', message: 'open a lab before writing files' },
      { op: 'reply', id: 7, ok: false, error: 'open a lab before sending commands' },
      { op: 'error', message: expect.stringMatching(/^invalid message: /) },
      // A refused command keeps its id, so the page's wait for its reply ends with the reason.
      { op: 'reply', id: 8, ok: false, error: 'instances must be a whole number from 1 to 10, got 99' },
      { op: 'reply', id: 9, ok: false, error: expect.stringMatching(/^unknown command type "explode"; known: start, stop, /) },
    ]);
  });

  it('refuses to open a lab when the host is full or shutting down, without counting an opening', async () => {
    const full = await serveConnections({ limits: { labs: 2 }, inUse: 2 });
    const fullPage = tab(full.port);
    await fullPage.opened;
    fullPage.send({ op: 'open', lesson: 'map-trap', files: [] });
    await fullPage.next((m) => m.op === 'error');
    expect(fullPage.messages).toEqual([{ op: 'error', message: 'the lab host is full (2 labs running, the limit); try again in a minute' }]);
    expect(full.counts.begun).toBe(0);

    const closing = await serveConnections({ closing: true });
    const closingPage = tab(closing.port);
    await closingPage.opened;
    closingPage.send({ op: 'open', lesson: 'map-trap', files: [] });
    await closingPage.next((m) => m.op === 'error');
    expect(closingPage.messages).toEqual([{ op: 'error', message: 'the lab host is shutting down; try again in a moment' }]);
  });

  it('reports a lesson that cannot be loaded, releases the opening and lets the page try again', async () => {
    const tried: string[] = [];
    const { port, counts, labs } = await serveConnections({
      loadLesson: async (name) => {
        tried.push(name);
        throw new Error(`no lesson "${name}"`);
      },
    });
    const page = tab(port);
    await page.opened;
    page.send({ op: 'open', lesson: 'nope', files: [] });
    page.send({ op: 'open', lesson: 'again', files: [] });
    await eventually(() => page.messages.length >= 2, 'two answers');
    expect(page.messages).toEqual([
      { op: 'error', message: 'no lesson "nope"' },
      { op: 'error', message: 'no lesson "again"' },
    ]);
    expect(tried).toEqual(['nope', 'again']);
    expect(counts).toEqual({ opening: 0, begun: 2, ended: 2 });
    expect(labs.size).toBe(0);
  });

  it('sends heartbeats and drops a page that stops answering pings', async () => {
    const { port, logs } = await serveConnections({ heartbeatMs: 150 });
    const page = tab(port, { autoPong: false });
    await page.opened;
    await page.next((m) => m.op === 'heartbeat');
    const { code } = await page.closed;
    expect(code).toBe(1006);
    expect(logs).toContainEqual({ level: 'info', msg: 'lab connection unresponsive', lab: null });
  });

  it('closes an idle connection with the idle code', { timeout: 15_000 }, async () => {
    const { port, logs } = await serveConnections({ limits: { idleMinutes: 1 / 60 } });
    const page = tab(port);
    await page.opened;
    const closed = await page.closed;
    expect(closed).toEqual({ code: 4000, reason: 'idle' });
    expect(page.messages).toEqual([{ op: 'closed', code: 'idle', reason: 'This lab was closed after 1 seconds without activity. Press Run to start a fresh one; your files are safe in this page.' }]);
    expect(logs).toContainEqual({ level: 'info', msg: 'lab idle', lab: null });
  });

  it('registers the lab it opens, refuses a second one, and unregisters it when the socket closes', { timeout: 60_000 }, async () => {
    const { port, labs, logs, counts } = await serveConnections();
    const lesson = await loadLesson('map-trap');
    const page = tab(port);
    await page.opened;
    page.send({ op: 'open', lesson: 'map-trap', files: lesson.starter });
    page.send({ op: 'open', lesson: 'map-trap', files: lesson.starter });
    const opened = (await page.next((m) => m.op === 'opened', 30_000))!;
    const labId = String(opened.labId);
    expect(opened).toEqual({ op: 'opened', labId, lesson: 'map-trap', host: 'test-host' });
    await page.next((m) => m.op === 'error');
    expect(page.messages.find((m) => m.op === 'error')).toEqual({ op: 'error', message: 'this connection already has a lab' });
    expect([...labs.keys()]).toEqual([labId]);
    expect(labs.get(labId)?.lesson).toBe('map-trap');
    expect(counts).toEqual({ opening: 0, begun: 1, ended: 1 });
    expect(logs).toContainEqual({ level: 'info', msg: 'lab opened', lab: labId, lesson: 'map-trap', labs: 1 });
    page.ws.close();
    await eventually(() => labs.size === 0 && processesOfLab(labId).length === 0, 'the lab to be torn down', 15_000);
    expect(logs).toContainEqual({ level: 'info', msg: 'lab closed', lab: labId, labs: 0 });
  });
});
