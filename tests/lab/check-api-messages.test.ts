import { describe, expect, it } from 'vitest';
import { eventOf, get, PACKAGE_JSON, startLab, type TestLab } from './helpers.ts';

async function grade(lab: TestLab) {
  const before = lab.events.length;
  await lab.lab.send({ type: 'check' });
  const report = lab.events.slice(before).find(eventOf('checks'));
  if (!report) throw new Error('the check run ended without a report');
  return report;
}

describe('what an instance is given', () => {
  it('PORT, INSTANCE_ID, REDIS_URL, LAB_ID and one SESSION_SECRET per lab (the same on every instance, another in another lab), and none of the supervisor\'s own settings', async () => {
    const files = [
      PACKAGE_JSON,
      { path: 'server.js', content: `import http from 'node:http';\nhttp.createServer((req, res) => res.end(JSON.stringify({ instance: process.env.INSTANCE_ID, secret: process.env.SESSION_SECRET, lab: Object.keys(process.env).filter((k) => k.startsWith('LAB_')), redis: process.env.REDIS_URL, port: process.env.PORT }))).listen(Number(process.env.PORT));\n` },
    ];
    const [one, two] = await Promise.all([startLab(files), startLab(files, { start: { instances: 1 } })]);
    const answers = await Promise.all(['A', 'B', 'C'].map(() => get(one.lab.balancerPort)));
    const seen = answers.map((a) => JSON.parse(a.body) as { instance: string; secret: string; lab: string[]; redis: string; port: string });
    // Only the lab's id: the supervisor's own settings (its ports, the Redis relay's address and token) stay its own.
    for (const s of seen) expect(s.lab).toEqual(['LAB_ID']);
    for (const s of seen) expect(s.redis).toMatch(/^redis:\/\/.*127\.0\.0\.1:\d+/);
    expect(new Set(seen.map((s) => s.port)).size).toBe(3);
    expect(new Set(seen.map((s) => s.instance))).toEqual(new Set(['A', 'B', 'C']));
    expect(new Set(seen.map((s) => s.secret)).size).toBe(1);
    expect(seen[0]!.secret.length).toBeGreaterThanOrEqual(32);
    const other = JSON.parse((await get(two.lab.balancerPort)).body) as { secret: string };
    expect(other.secret).not.toBe(seen[0]!.secret);
  });
});

describe('lab.socket', () => {
  it('reports a connection that never announced itself as such, not as no connection', async () => {
    const files = [
      PACKAGE_JSON,
      {
        path: 'server.js',
        content: `import { createServer } from 'node:http';
import { Server } from 'socket.io';
const server = createServer((req, res) => res.end('ok'));
const io = new Server(server);
io.on('connection', (socket) => socket.emit('hello', { instance: process.env.INSTANCE_ID }));
server.listen(Number(process.env.PORT));
`,
      },
    ];
    const checks = `export default [{ name: 'socket', async run(lab) { await lab.socket({ timeoutMs: 1500 }); } }];\n`;
    const lab = await startLab(files, { checksSource: checks, start: { instances: 1 } });
    const report = await grade(lab);
    expect(report.tests[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/observed a connection but no "welcome" event/) });
  });
});
