import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAB = fileURLToPath(new URL('../../scripts/lab.ts', import.meta.url));

/** `npm run lab`, driven through its stdin as a person types. */
describe('npm run lab', () => {
  it('prints the cluster on "status": the balancer, Redis and every instance with its state and port', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [LAB, 'any-server', '--solution', '--port', '0', '--quiet', '--redis', 'js'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (pattern: RegExp, what: string, from = 0) => {
      const deadline = Date.now() + 30_000;
      while (!pattern.test(out.slice(from))) {
        if (Date.now() > deadline) throw new Error(`never saw ${what}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(/balancer: http:\/\/127\.0\.0\.1:(\d+)/, 'the balancer line');
      const before = out.length;
      child.stdin.write('status\n');
      await until(/C\s+up — port \d+, pid \d+, served/, 'instance C in the status', before);
      const status = out.slice(before);
      const port = /balancer: http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      expect(status).toMatch(new RegExp(`balancer\\s+port ${port}, round-robin`));
      expect(status).toMatch(/redis\s+js-redis-server, port \d+/);
      for (const name of ['A', 'B', 'C']) expect(status).toMatch(new RegExp(`${name}\\s+up — port \\d+, pid \\d+, served \\d+`));
      child.stdin.write('quit\n');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
