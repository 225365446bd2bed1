import { describe, expect, it } from 'vitest';
import { app, eventOf, get, startLab, type ProcessOf } from './helpers.ts';

describe('supervisor and balancer', () => {
  it('starts three instances behind the balancer and names the instance on every response', async () => {
    const { lab, events } = await startLab(app());
    const up = events.filter((e): e is ProcessOf<'instance'> => e.type === 'process' && e.role === 'instance' && e.state === 'up').map((e) => e.name);
    expect(new Set(up)).toEqual(new Set(['A', 'B', 'C']));
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(lab.balancerPort)));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).instance).toBe(answer.servedBy);
    }
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set(['A', 'B', 'C']));
  });

  it('reports each proxied request with user, method, path, instance, status and time', async () => {
    const { lab, events, until } = await startLab(app());
    await lab.send({ type: 'user', user: 'alice', action: 'request', method: 'GET', path: '/hello?x=1' });
    const report = await until(eventOf('request', (e) => e.path === '/hello?x=1'));
    expect(report).toMatchObject({ user: 'alice', method: 'GET', status: 200 });
    expect(['A', 'B', 'C']).toContain(report.instance);
    expect(typeof report.ms).toBe('number');
    expect(events.some((e) => e.type === 'redis' || e.type === 'process')).toBe(true);
    // A header anyone can send names nobody: the user comes from the supervisor's own bookkeeping.
    await get(lab.balancerPort, '/forged', { 'x-lab-user': 'bob', 'x-lab-tag': 'made-up' });
    const forged = await until(eventOf('request', (e) => e.path === '/forged'));
    expect(forged.user).toBeUndefined();
  });

  it('routes around a stopped instance and answers 503 in plain words when none is up', async () => {
    const { lab, waitForState } = await startLab(app());
    await lab.send({ type: 'instance', action: 'stop', name: 'B' });
    await waitForState('B', 'stopped');
    const served = new Set((await Promise.all(Array.from({ length: 8 }, () => get(lab.balancerPort)))).map((a) => a.servedBy));
    expect(served).toEqual(new Set(['A', 'C']));
    await lab.send({ type: 'instance', action: 'kill', name: 'A' });
    await lab.send({ type: 'instance', action: 'stop', name: 'C' });
    const none = await get(lab.balancerPort);
    expect(none.status).toBe(503);
    expect(none.headers['content-type']).toMatch(/text\/plain/);
    expect(none.body).toMatch(/No instance is up/);
    expect(none.body).toMatch(/A stopped .*killed/);
    await lab.send({ type: 'instance', action: 'start', name: 'B' });
    expect((await get(lab.balancerPort)).servedBy).toBe('B');
  });

  it('restarts an instance with a new process', async () => {
    const { lab, events } = await startLab(app());
    const before = events.find((e): e is ProcessOf<'instance'> => e.type === 'process' && e.role === 'instance' && e.name === 'B' && e.state === 'up')?.pid;
    await lab.send({ type: 'instance', action: 'restart', name: 'B' });
    const after = [...events].reverse().find((e): e is ProcessOf<'instance'> => e.type === 'process' && e.role === 'instance' && e.name === 'B' && e.state === 'up')?.pid;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('scales from 3 to 10 and back to 2', async () => {
    const { lab } = await startLab(app());
    await lab.send({ type: 'scale', instances: 10 });
    const wide = await Promise.all(Array.from({ length: 20 }, () => get(lab.balancerPort)));
    expect(new Set(wide.map((a) => a.servedBy)).size).toBe(10);
    await lab.send({ type: 'scale', instances: 2 });
    const narrow = await Promise.all(Array.from({ length: 6 }, () => get(lab.balancerPort)));
    expect(new Set(narrow.map((a) => a.servedBy))).toEqual(new Set(['A', 'B']));
    await expect(lab.send({ type: 'scale', instances: 11 })).rejects.toThrow(/1 to 10/);
  });

  it('sticky strategy pins a client to one instance by cookie; round-robin does not', async () => {
    const { lab } = await startLab(app(), { start: { strategy: 'sticky' } });
    const first = await get(lab.balancerPort);
    const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
    expect(cookie).toMatch(/^lab_instance=[ABC]$/);
    const pinned = await Promise.all(Array.from({ length: 9 }, () => get(lab.balancerPort, '/', { cookie })));
    expect(new Set(pinned.map((a) => a.servedBy))).toEqual(new Set([first.servedBy]));
    await lab.send({ type: 'strategy', strategy: 'round-robin' });
    const spread = await Promise.all(Array.from({ length: 9 }, () => get(lab.balancerPort, '/', { cookie })));
    expect(new Set(spread.map((a) => a.servedBy)).size).toBe(3);
  });

  it('least-connections sends new requests away from a busy instance', async () => {
    const { lab } = await startLab(app(), { start: { strategy: 'least-connections', instances: 2 } });
    const slow = get(lab.balancerPort, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    const quick = [];
    for (let i = 0; i < 4; i++) quick.push(await get(lab.balancerPort));
    const busy = (await slow).servedBy;
    expect(quick.every((a) => a.servedBy !== busy)).toBe(true);
  });

  it('answers malformed commands with error events and keeps working', async () => {
    const { lab, events, until } = await startLab(app());
    lab.sendRaw('not json\n{"type":42}\n[]\n{"type":"explode"}\n{"type":"instance","action":"stop"}\n');
    await until((e) => e.type === 'error' && /string "name"/.test(String(e.message)));
    const errors = events.filter((e) => e.type === 'error').map((e) => String(e.message));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/not valid JSON/),
      expect.stringMatching(/needs a string "type"/),
      expect.stringMatching(/must be a JSON object/),
      expect.stringMatching(/unknown command type "explode"/),
    ]));
    expect((await get(lab.balancerPort)).status).toBe(200);
  });

  it('proxies WebSocket upgrades to an instance', async () => {
    const files = [
      { path: 'package.json', content: '{ "type": "module" }' },
      {
        path: 'server.js',
        content: `import http from 'node:http';
import { WebSocketServer } from 'ws';
const server = http.createServer((req, res) => res.end('ok'));
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => socket.on('message', (m) => socket.send(process.env.INSTANCE_ID + ':' + m)));
server.listen(Number(process.env.PORT));`,
      },
    ];
    const { lab, until } = await startLab(files, { start: { instances: 2 } });
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`ws://127.0.0.1:${lab.balancerPort}/chat`);
    let servedBy: string | undefined;
    socket.on('upgrade', (response) => {
      servedBy = response.headers['x-served-by'] as string | undefined;
    });
    const reply = await new Promise<string>((resolve, reject) => {
      socket.on('open', () => socket.send('hi'));
      socket.on('message', (m) => resolve(String(m)));
      socket.on('error', reject);
    });
    socket.close();
    expect(reply).toMatch(/^[AB]:hi$/);
    expect(reply.startsWith(`${servedBy}:`)).toBe(true);
    await until((e) => e.type === 'request' && e.method === 'UPGRADE' && e.status === 101);
  });
});
