import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../playground/lab/commands.js';
import { CookieJar } from '../../playground/lab/cookie-jar.js';
import { BoundedOutput } from '../../playground/lab/output.js';
import { RespRequestParser } from '../../playground/lab/redis/resp-requests.js';

describe('RESP request parser', () => {
  it('reads commands split across chunks at any byte', () => {
    const wire = Buffer.from('*3\r\n$3\r\nSET\r\n$9\r\nsession:1\r\n$5\r\nalice\r\n*1\r\n$4\r\nPING\r\nDBSIZE\r\n');
    for (let cut = 1; cut < wire.length; cut++) {
      const seen: string[][] = [];
      const parser = new RespRequestParser((args) => seen.push(args));
      parser.push(wire.subarray(0, cut));
      parser.push(wire.subarray(cut));
      expect(seen).toEqual([['SET', 'session:1', 'alice'], ['PING'], ['DBSIZE']]);
    }
  });
});

describe('cookie jar', () => {
  it('stores, replaces and deletes cookies as a browser does', () => {
    const jar = new CookieJar();
    jar.store(['sid=abc; Path=/; HttpOnly', 'lab_instance=B; Path=/']);
    expect(jar.header()).toBe('sid=abc; lab_instance=B');
    jar.store(['sid=def; Path=/']);
    jar.store(['lab_instance=; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(jar.header()).toBe('sid=def');
    jar.store(['sid=x; Max-Age=0']);
    expect(jar.header()).toBe('');
  });

  it('expires a cookie on the clock, with no Set-Cookie needed', async () => {
    const jar = new CookieJar();
    jar.store(['short=1; Max-Age=1; Path=/', 'long=2; Max-Age=600; Path=/']);
    expect(jar.header()).toBe('short=1; long=2');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(jar.header()).toBe('long=2');
  });

  it('keeps Secure cookies (the site is https behind the balancer) and honours Path', () => {
    const jar = new CookieJar();
    jar.store(['sid=s; Secure; HttpOnly; SameSite=Lax; Path=/', 'api=1; Path=/api'], '/login');
    expect(jar.header('/me')).toBe('sid=s');
    expect(jar.header('/api/quote')).toBe('api=1; sid=s');
    // Without a Path, the default is the folder of the request that set it.
    jar.store(['deep=1'], '/account/login');
    expect(jar.header('/account/me')).toContain('deep=1');
    expect(jar.header('/me')).not.toContain('deep=1');
  });

  it('ignores cookies a browser would reject', () => {
    const jar = new CookieJar();
    jar.store(['other=1; Domain=example.com', 'sub=1; Domain=other.127.0.0.1', 'ok=1']);
    expect(jar.header()).toBe('ok=1');
  });
});

describe('command parsing', () => {
  it('accepts a known command and explains every kind of bad line', () => {
    expect(parseCommand('{"type":"status"}')).toEqual({ ok: true, command: { type: 'status' } });
    expect(parseCommand('{')).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
    expect(parseCommand('"start"')).toMatchObject({ ok: false, error: expect.stringMatching(/JSON object/) });
    expect(parseCommand('{"type":"rm -rf"}')).toMatchObject({ ok: false, error: expect.stringMatching(/unknown command type/) });
    expect(parseCommand('x'.repeat(70_000))).toMatchObject({ ok: false, error: expect.stringMatching(/limit is 64 KB/) });
  });
});

describe('bounded output', () => {
  it('cuts long lines, keeps the last error lines, and drops a flood with one notice', () => {
    const lines: string[] = [];
    const output = new BoundedOutput((_stream, text) => lines.push(text), { bytesPerSecond: 10_000 });
    output.push('stdout', 'y'.repeat(5000) + '\n');
    expect(lines[0]).toMatch(/… \(3000 more characters\)$/);
    for (let i = 0; i < 100; i++) output.push('stdout', `${'z'.repeat(200)} ${i}\n`);
    output.push('stderr', 'Error: boom\n');
    output.flush();
    expect(lines.join('\n').length).toBeLessThan(12_000);
    expect(lines.at(-1)).toMatch(/lines of output dropped/);
    expect(output.lastErrorLines()).toEqual(['Error: boom']);
  });
});
