import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { ServerRuntime } from '../../playground/runtime/server-runtime.ts';
import type { RuntimeStatus } from '../../playground/runtime/types.ts';
import { loadLesson } from '../../playground/course/lessons.ts';
import { eventually, processesOfLab } from './helpers.ts';
import { connect, openAndStart, startHost } from './host-support.ts';

describe('heartbeats between page and lab host', () => {
  it('the host sends heartbeats, and drops a page that stops answering pings, removing its lab', { timeout: 60_000 }, async () => {
    const { port, origin, host } = await startHost({ heartbeatMs: 300 });
    const lesson = await loadLesson('map-trap');
    // A live tab answers pings by itself (as browsers do); this one is frozen: it never answers.
    const frozen = new NodeWebSocket(`ws://127.0.0.1:${port}/lab`, { headers: { origin }, autoPong: false });
    const heard: string[] = [];
    frozen.on('message', (data) => heard.push(JSON.parse(String(data)).op));
    await new Promise((resolve) => frozen.once('open', resolve));
    frozen.send(JSON.stringify({ op: 'open', lesson: 'map-trap', files: lesson.starter }));
    const live = connect(port, origin);
    await openAndStart(live, 'map-trap', lesson.starter, { start: false });
    await eventually(() => heard.includes('opened'), 'the frozen tab’s lab to open');
    const frozenLab = [...host.labs.keys()].find((id) => id !== String(live.messages.find((m) => m.op === 'opened')?.labId))!;
    await new Promise((resolve) => frozen.once('close', resolve));
    expect(heard).toContain('heartbeat');
    await eventually(() => !host.labs.has(frozenLab) && processesOfLab(frozenLab).length === 0, 'the frozen tab’s lab to be removed', 10_000);
    // The live tab stays: its socket answered every ping.
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    expect(live.messages.filter((m) => m.op === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  it('a page whose host goes silent reports the lab lost (worth rebuilding) instead of waiting forever', { timeout: 30_000 }, async () => {
    // A host that accepts the lab and then says nothing more, as a machine that vanished without closing sockets.
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', () => ws.send(JSON.stringify({ op: 'opened', labId: 'lab-x', lesson: 'map-trap', host: 'silent' }))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const runtime = new ServerRuntime(`ws://127.0.0.1:${port}/lab`, (url) => new WebSocket(url), { heartbeatMs: 200 });
    const statuses: RuntimeStatus[] = [];
    runtime.onStatus((status) => statuses.push(status));
    await runtime.boot();
    await runtime.openLab({ lesson: 'map-trap', files: [], lab: {} as never, checks: '' });
    const pending = runtime.send({ type: 'status' });
    await expect(pending).rejects.toThrow(/stopped answering.*not confirmed/);
    const lost = statuses.find((status) => status.state === 'lost');
    expect(lost).toMatchObject({ state: 'lost', recoverable: true, detail: expect.stringMatching(/stopped answering/) });
    await runtime.dispose();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses new lab sockets once the host is shutting down, so a failing-over page goes elsewhere', async () => {
    const { port, origin, host } = await startHost();
    const closing = host.close();
    await expect(connect(port, origin).opened).rejects.toThrow(/503/);
    await closing;
  });
});
