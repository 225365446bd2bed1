import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckFailure, loadChecks, runChecks } from '../../playground/lab/grader.js';

const api = async () => ({ fail: (m: string) => { throw new CheckFailure(m); } });

describe('grader', () => {
  it('reports pass, fail (with the message) and error per check in Exercism shape', async () => {
    const report = await runChecks(
      [
        { name: 'passes', run: () => undefined },
        { name: 'fails', run: (lab) => lab.fail('Expected 3 instances; observed 1.') },
        { name: 'breaks', run: () => { throw new TypeError('x is undefined'); } },
      ],
      { makeApi: api },
    );
    expect(report.status).toBe('fail');
    expect(report.version).toBe(2);
    expect(report.tests.map((t) => [t.name, t.status])).toEqual([['passes', 'pass'], ['fails', 'fail'], ['breaks', 'error']]);
    expect(report.tests[1]?.message).toBe('Expected 3 instances; observed 1.');
    expect(report.tests[2]?.message).toMatch(/TypeError: x is undefined/);
  });

  it('fails a check that hangs with a timeout message and moves on', async () => {
    const started = Date.now();
    const report = await runChecks(
      [
        { name: 'hangs', timeoutMs: 300, run: () => new Promise(() => undefined) },
        { name: 'after', run: () => undefined },
      ],
      { makeApi: api },
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.tests[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/timed out.*0.3 s/) });
    expect(report.tests[1]?.status).toBe('pass');
  });

  it('refuses a checks module of the wrong shape with a readable error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'checks-'));
    const file = path.join(dir, 'checks.js');
    await fs.writeFile(file, 'export default [{ name: "no run" }];\n');
    await expect(loadChecks(file)).rejects.toThrow(/check #1 .* needs a string "name" and a function "run\(lab\)"/);
    await fs.writeFile(file, 'export default 42;\n');
    await expect(loadChecks(file)).rejects.toThrow(/must export default a non-empty array/);
    await fs.rm(dir, { recursive: true });
  });
});
