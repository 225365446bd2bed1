import { describe, expect, it } from 'vitest';
import { eventOf, PACKAGE_JSON, startLab } from './helpers.ts';

/**
 * An app with logins (the cookie names the user: enough for the probes, which only need every instance to agree)
 * and a socket.io server that announces each connection.
 */
const files = [
  PACKAGE_JSON,
  {
    path: 'server.js',
    content: `import { createServer } from 'node:http';
import { Server } from 'socket.io';
const instance = process.env.INSTANCE_ID;
const json = (res, status, body, headers = {}) => { res.writeHead(status, { 'content-type': 'application/json', ...headers }); res.end(JSON.stringify({ ...body, instance })); };
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const user = /(?:^|;\\s*)who=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (req.url === '/login') { const name = JSON.parse(body || '{}').user; return json(res, 200, { user: name }, { 'set-cookie': 'who=' + name + '; Path=/' }); }
    if (req.url === '/me') return user ? json(res, 200, { user }) : json(res, 401, { error: 'not logged in' });
    if (req.url === '/logout') return json(res, 200, { ok: true }, { 'set-cookie': 'who=; Path=/; Max-Age=0' });
    json(res, 200, { path: req.url });
  });
});
const io = new Server(server);
io.on('connection', (socket) => socket.emit('welcome', { instance }));
server.listen(Number(process.env.PORT));
`,
  },
];

const checks = `export default [
  {
    name: 'first',
    async run(lab) {
      const dave = lab.user('dave');
      await dave.login();
      await dave.visit();
      await lab.request('GET', '/anonymous-first');
      await lab.request('GET', '/pinned-first', { via: 'A' });
      const traffic = lab.traffic({ users: ['erin'] });
      await lab.sleep(200);
      const report = await traffic.stop();
      lab.assert(report.visits > 0, 'Expected traffic; observed none.');
    },
  },
  {
    name: 'second',
    async run(lab) {
      await lab.sessions.loginEverywhere('frank');
      const polling = await lab.socket({ transports: ['polling'] });
      await lab.sleep(100);
      polling.close();
      const websocket = await lab.socket();
      websocket.close();
    },
  },
];
`;

describe("a check's traffic is labelled with the check", () => {
  it('every request and user event a check causes carries its name; the learner’s own carry none', async () => {
    // One instance: socket.io's polling needs every poll to reach the instance that holds its connection.
    const { lab, events, until } = await startLab(files, { checksSource: checks, start: { instances: 1 } });
    await lab.send({ type: 'user', user: 'alice', action: 'login' });
    await lab.send({ type: 'user', user: 'alice', action: 'visit' });
    const started = events.length;
    await lab.send({ type: 'check' });
    const report = events.slice(started).find(eventOf('checks'));
    expect(report?.tests.map((t) => [t.name, t.status])).toEqual([['first', 'pass'], ['second', 'pass']]);
    const ended = events.length;
    await lab.send({ type: 'user', user: 'alice', action: 'visit' });
    await lab.send({ type: 'user', user: 'alice', action: 'request', method: 'GET', path: '/learner-after' });
    await until(eventOf('request', (e) => e.path === '/learner-after'));

    const during = events.slice(started, ended);
    const requests = during.filter(eventOf('request'));
    const users = during.filter(eventOf('user'));
    expect(requests.length).toBeGreaterThan(10);
    for (const request of requests) expect(['first', 'second']).toContain(request.check);
    for (const user of users) expect(['first', 'second']).toContain(user.check);
    const checkOf = (path: string) => requests.filter((r) => r.path.startsWith(path)).map((r) => r.check);
    expect(checkOf('/anonymous-first')).toEqual(['first']);
    expect(checkOf('/pinned-first')).toEqual(['first']);
    // socket.io's long-polling requests, each an HTTP request through the balancer, carry the check too.
    const polls = requests.filter((r) => r.path.startsWith('/socket.io/') && r.path.includes('transport=polling'));
    expect(polls.length).toBeGreaterThanOrEqual(2);
    for (const poll of polls) expect(poll.check).toBe('second');
    const upgrades = requests.filter((r) => r.method === 'UPGRADE');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0]).toMatchObject({ status: 101, check: 'second' });
    const userCheck = (name: string) => new Set(users.filter((u) => u.user === name).map((u) => u.check));
    expect(userCheck('dave')).toEqual(new Set(['first']));
    expect(userCheck('erin')).toEqual(new Set(['first']));
    expect(userCheck('frank')).toEqual(new Set(['second']));

    // The learner's alice, before and after: her events and requests name her and no check.
    const learner = [...events.slice(0, started), ...events.slice(ended)];
    const aliceUsers = learner.filter(eventOf('user', (e) => e.user === 'alice'));
    const aliceRequests = learner.filter(eventOf('request', (e) => e.user === 'alice'));
    expect(aliceUsers.map((e) => e.action)).toEqual(['login', 'visit', 'visit', 'request']);
    expect(aliceRequests).toHaveLength(4);
    for (const event of [...aliceUsers, ...aliceRequests]) expect(event.check).toBeUndefined();
  });
});
