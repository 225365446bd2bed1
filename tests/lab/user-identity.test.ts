import { describe, expect, it } from 'vitest';
import { eventOf, PACKAGE_JSON, startLab, type TestLab } from './helpers.ts';
import type { LabEvent, LabEventOf } from '../../playground/protocol/lab-events.ts';
import type { CommandOf } from '../../playground/protocol/lab-commands.ts';

/** An app whose routes are given as `path → handler body` (req, res, body and a module-level `state` in scope). */
function appWith(routes: Record<string, string>, top = '') {
  const cases = Object.entries(routes)
    .map(([route, code]) => `    case ${JSON.stringify(route)}: { ${code} return; }`)
    .join('\n');
  return [
    PACKAGE_JSON,
    {
      path: 'server.js',
      content: `import http from 'node:http';
const state = {};
${top}
const json = (res, status, value) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const route = req.method + ' ' + req.url.split('?')[0];
    switch (route) {
${cases}
      default: json(res, 404, { error: 'no route ' + route });
    }
  });
}).listen(Number(process.env.PORT));
`,
    },
  ];
}

async function userResults(lab: TestLab, user: string, commands: Omit<CommandOf<'user'>, 'type' | 'user'>[]): Promise<LabEventOf<'user'>[]> {
  for (const command of commands) await lab.lab.send({ type: 'user', user, ...command });
  return lab.events.filter(eventOf('user', (e) => e.user === user));
}

describe('virtual users are judged by whom the app names', () => {
  it('a 200 that names nobody is not a login, and a login that sets no cookie does not stick', async () => {
    const lab = await startLab(appWith({
      'POST /login': `json(res, 200, { ok: true });`,
      'GET /me': `json(res, 200, { userId: null });`,
    }));
    const [login, visit] = await userResults(lab, 'alice', [{ action: 'login' }, { action: 'visit' }]);
    expect(login).toMatchObject({ status: 200, loggedIn: true, refused: false });
    expect(visit).toMatchObject({ status: 200, loggedIn: false, loggedOut: true, named: null, mixup: null });
  });

  it('a refused login is reported as refused and never followed by "logged in"', async () => {
    const lab = await startLab(appWith({ 'GET /me': `json(res, 200, { ok: true });` }));
    const [login, visit] = await userResults(lab, 'alice', [{ action: 'login' }, { action: 'visit' }]);
    expect(login).toMatchObject({ status: 404, loggedIn: false, refused: true });
    expect(visit).toMatchObject({ status: 200, loggedIn: false, loggedOut: false });
  });

  it('an answer naming someone else is a session mix-up', async () => {
    const lab = await startLab(appWith({
      'POST /login': `state.last = JSON.parse(body).user; json(res, 200, { user: state.last });`,
      'GET /me': `json(res, 200, { user: state.last });`,
    }), { start: { instances: 1 } });
    await userResults(lab, 'alice', [{ action: 'login' }]);
    await userResults(lab, 'bob', [{ action: 'login' }]);
    const [, visit] = await userResults(lab, 'alice', [{ action: 'visit' }]);
    expect(visit).toMatchObject({ loggedIn: false, loggedOut: true, named: 'bob', mixup: 'bob' });
  });
});

describe('nothing the lab adds for itself reaches the app', () => {
  const echo = appWith({
    'POST /login': `res.setHeader('set-cookie', 'sid=' + JSON.parse(body).user + '-s; Path=/; HttpOnly; Secure'); json(res, 200, { ok: true });`,
    'GET /headers': `json(res, 200, req.headers);`,
  });

  it('virtual users differ only by their cookies, even behind the sticky balancer', async () => {
    const lab = await startLab(echo, { start: { strategy: 'sticky' } });
    const seen: Record<string, Record<string, string>> = {};
    for (const user of ['alice', 'bob']) {
      await lab.lab.send({ type: 'user', user, action: 'login' });
      await lab.lab.send({ type: 'user', user, action: 'request', method: 'GET', path: '/headers' });
      const result = lab.events.filter(eventOf('user', (e) => e.user === user)).at(-1);
      seen[user] = JSON.parse(String(result?.body)) as Record<string, string>;
    }
    for (const headers of Object.values(seen)) {
      expect(Object.keys(headers).filter((name) => name.startsWith('x-lab-') || name === 'x-served-by')).toEqual([]);
    }
    // The Secure cookie was kept and sent (the site is https behind the balancer); the affinity cookie was not.
    expect(seen.alice?.cookie).toBe('sid=alice-s');
    expect(seen.bob?.cookie).toBe('sid=bob-s');
    const strip = (h: Record<string, string> | undefined) => ({ ...h, cookie: undefined });
    expect(strip(seen.alice)).toEqual(strip(seen.bob));
    // And the balancer still knew who was who, from its own bookkeeping.
    const reports = lab.events.filter(eventOf('request', (e) => e.path === '/headers'));
    expect(reports.map((r) => r.user)).toEqual(['alice', 'bob']);
  });

  it('headers anyone can send, naming the lab or its users, are dropped', async () => {
    const lab = await startLab(echo);
    const { get } = await import('./helpers.ts');
    const answer = await get(lab.lab.balancerPort, '/headers', { 'x-lab-user': 'alice', 'x-lab-tag': 'forged', 'x-served-by': 'A', cookie: 'lab_instance=A; theme=dark' });
    const headers = JSON.parse(answer.body) as Record<string, string>;
    expect(headers['x-lab-user']).toBeUndefined();
    expect(headers['x-lab-tag']).toBeUndefined();
    expect(headers['x-served-by']).toBeUndefined();
    expect(headers.cookie).toBe('theme=dark');
  });

  it('a malformed affinity cookie is read as text, not a crash', async () => {
    const lab = await startLab(echo, { start: { strategy: 'sticky' } });
    const { get } = await import('./helpers.ts');
    const answer = await get(lab.lab.balancerPort, '/headers', { cookie: 'lab_instance=%' });
    expect(answer.status).toBe(200);
  });
});

describe('grading: seeds, pinned requests, rerun lines', () => {
  const CHECKS = `export default [
  { name: 'pinned', async run(lab) {
      const served = [];
      for (const via of ['B', 'C', 'B']) served.push((await lab.request('GET', '/headers', { via })).instance);
      lab.assert(served.join('') === 'BCB', 'observed ' + served.join(''));
      await lab.stop('C');
      const refused = await lab.request('GET', '/headers', { via: 'C' });
      lab.assert(refused.status === 503 && /instance C/.test(refused.body), 'observed ' + refused.status + ' ' + refused.body);
  } },
  { name: 'choices', async run(lab) {
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await lab.request('GET', '/headers')).instance);
      lab.fail('choices ' + lab.random().toFixed(6) + ' ' + order.join(''), await lab.request('POST', '/nowhere', { body: { it: "won't" } }));
  } },
];
`;

  async function grade(lab: TestLab, command: Omit<CommandOf<'check'>, 'type'>) {
    const before = lab.events.length;
    await lab.lab.send({ type: 'check', ...command });
    const report = lab.events.slice(before).find(eventOf('checks'));
    if (!report) throw new Error('the check run ended without a report');
    return report;
  }

  it('replays a run from its seed, one check alone included, and names the request that showed a failure', async () => {
    const lab = await startLab(appWith({ 'GET /headers': `json(res, 200, req.headers);` }), { checksSource: CHECKS });
    const first = await grade(lab, { seed: 12345 });
    expect(first.seed).toBe(12345);
    expect(first.tests.map((t) => t.status)).toEqual(['pass', 'fail']);
    const again = await grade(lab, { seed: 12345, only: ['choices'] });
    expect(again.tests.map((t) => t.name)).toEqual(['choices']);
    expect(again.tests[0]?.message).toBe(first.tests[1]?.message);
    expect(again.tests[0]?.seed).toBe(12345);
    const other = await grade(lab, { seed: 999, only: ['choices'] });
    expect(other.tests[0]?.message).not.toBe(first.tests[1]?.message);
    expect(first.tests[1]?.reproduce?.curl).toBe(`curl -i -X POST 'http://127.0.0.1:3000/nowhere' -H 'content-type: application/json' --data '{"it":"won'\\''t"}'`);
  });

  it('refuses an unknown check name, listing the real ones', async () => {
    const lab = await startLab(appWith({}), { checksSource: CHECKS });
    await expect(lab.lab.send({ type: 'check', only: ['nope'] })).rejects.toThrow(/no check named "nope"; the checks are: "pinned", "choices"/);
  });
});
