import { describe, expect, it } from 'vitest';
import { app, asInstance, eventOf, get, PACKAGE_JSON, startLab } from './helpers.ts';

// Learner code misbehaves on instance B only, so we can also see the balancer route around it.
const onB = (code: string) => app(`if (id === 'B') { ${code} }`);

describe('broken learner code', () => {
  it('an exception at start-up marks the instance crashed with the error, and traffic avoids it', async () => {
    const { lab, waitForState, state } = await startLab(onB(`throw new Error('database password missing');`));
    const crashed = asInstance(await waitForState('B', 'crashed'));
    // The learner's line first, then the error, then what the supervisor saw.
    expect(crashed.reason).toMatch(/^server\.js:3:\d+: Error: database password missing \(exited with code 1 while starting\)$/);
    expect(crashed.lastLines).toEqual(expect.arrayContaining([expect.stringMatching(/database password missing/)]));
    expect(state('A')).toBe('up');
    const served = await Promise.all(Array.from({ length: 6 }, () => get(lab.balancerPort)));
    expect(served.every((a) => a.status === 200 && a.servedBy !== 'B')).toBe(true);
  });

  it('a syntax error is reported with the offending line', async () => {
    const files = [PACKAGE_JSON, { path: 'server.js', content: 'const x = ;\n' }];
    const { lab, waitForState } = await startLab(files, { start: { instances: 1 } });
    const crashed = await waitForState('A', 'crashed');
    expect(crashed.reason).toMatch(/^server\.js:1: SyntaxError: Unexpected token ';' in `const x = ;`/);
    const answer = await get(lab.balancerPort);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/A crashed .*SyntaxError/);
  });

  it('an instance that exits on its own is crashed with its exit code', async () => {
    const { waitForState } = await startLab(onB(`console.error('bye'); process.exit(3);`));
    const crashed = asInstance(await waitForState('B', 'crashed'));
    expect(crashed.reason).toBe('bye (exited with code 3 while starting)');
    expect(crashed.exitCode).toBe(3);
  });

  it('an instance that never listens times out with a hint about PORT', async () => {
    const files = [PACKAGE_JSON, { path: 'server.js', content: 'setInterval(() => {}, 1000);\n' }];
    const { waitForState } = await startLab(files, { start: { instances: 1 }, env: { LAB_STARTUP_TIMEOUT_MS: '1500' } });
    const crashed = await waitForState('A', 'crashed');
    expect(crashed.reason).toMatch(/^did not listen on process\.env\.PORT \(\d+\) within 1\.5 s .*listen\(process\.env\.PORT\)/);
  });

  it('a blocked event loop makes the instance unhealthy, the balancer routes around it, and the supervisor stays responsive', async () => {
    const blocker = `setTimeout(() => { if (id === 'B') { for (;;) {} } }, 300);`;
    const { lab, waitForState, until } = await startLab(app(blocker));
    const unhealthy = await waitForState('B', 'unhealthy', 15_000);
    expect(unhealthy.reason).toMatch(/^did not react to the balancer for 3 s: its event loop is blocked/);
    const served = await Promise.all(Array.from({ length: 6 }, () => get(lab.balancerPort)));
    expect(served.every((a) => a.status === 200 && a.servedBy !== 'B')).toBe(true);
    await lab.send({ type: 'status' });
    await until((e) => e.type === 'status');
    await lab.send({ type: 'instance', action: 'kill', name: 'B' });
    await waitForState('B', 'stopped');
  });

  it('megabytes of output are bounded and the drop is reported', async () => {
    const flood = `if (id === 'A') { const line = 'x'.repeat(1000); for (let i = 0; i < 5000; i++) console.log(line + i); }`;
    const { lab, events, until } = await startLab(app(flood), { start: { instances: 1 } });
    await until(eventOf('log', (e) => /lines of output dropped/.test(e.text)), 5000);
    const logged = events.filter(eventOf('log', (e) => e.name === 'A')).reduce((sum, e) => sum + e.text.length, 0);
    expect(logged).toBeLessThan(200 * 1024);
    expect((await get(lab.balancerPort)).status).toBe(200);
  });
});
