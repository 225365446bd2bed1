import { describe, expect, it } from 'vitest';
import { cookieValue } from '../../playground/server/access.ts';
import { HostConfigError, readHostConfig } from '../../playground/server/host-config.ts';
import { hostName, hostNames } from '../../playground/server/host-names.ts';
import { LineSplitter } from '../../playground/protocol/line-splitter.ts';

describe('what the host reads from outside', () => {
  it('reads cookies whose escapes are malformed as absent, never throwing', () => {
    expect(cookieValue('lab_join=%', 'lab_join')).toBeUndefined();
    expect(cookieValue('a=%E0%A4%A; lab_join=%zz', 'lab_join')).toBeUndefined();
    expect(cookieValue('lab_join=%; lab_join=ok%20now', 'lab_join')).toBe('ok now');
    expect(cookieValue('other=%', 'lab_join')).toBeUndefined();
  });

  it('splits lines across chunks and drops a line over the bound whole, however it arrives', () => {
    const lines = new LineSplitter(10);
    expect(lines.push('one\r\ntw')).toEqual(['one']);
    expect(lines.push('o\n')).toEqual(['two']);
    // An over-long line arriving in pieces, with no newline for a while, is dropped once it passes the bound.
    expect(lines.push('x'.repeat(8))).toEqual([]);
    expect(lines.push('x'.repeat(8))).toEqual([]);
    expect(lines.push('x'.repeat(1000))).toEqual([]);
    expect(lines.push('tail\nnext\n')).toEqual(['next']);
    expect(lines.push(`${'y'.repeat(11)}\nok\n`)).toEqual(['ok']);
    expect(lines.dropped).toBe(2);
  });

  it('knows the names it serves: loopback, the listening address, this machine and the public names', () => {
    const names = hostNames('0.0.0.0', ['lab.school.example']);
    for (const host of ['localhost:4321', '127.0.0.1:4321', '127.0.0.2', '[::1]:4321', 'LAB.school.example', 'lab.school.example.:443', 'app.localhost']) {
      expect(names.allows(host), host).toBe(true);
    }
    for (const host of ['rebind.example:4321', 'lab.school.example.evil.com', '0.0.0.0:4321', '', undefined]) {
      expect(names.allows(host), String(host)).toBe(false);
    }
    expect(hostNames('10.1.2.3').allows('10.1.2.3:4321')).toBe(true);
    expect(hostName('[::1]:80')).toBe('::1');
  });

  it('refuses a public name that is not a host name, naming the variable', () => {
    expect(readHostConfig({ LAB_PUBLIC_NAME: 'lab.school.example, other.example' }).publicNames).toEqual(['lab.school.example', 'other.example']);
    for (const bad of ['https://lab.example', 'lab.example:443', 'lab.example/path', 'a b']) {
      expect(() => readHostConfig({ LAB_PUBLIC_NAME: bad }), bad).toThrow(HostConfigError);
      expect(() => readHostConfig({ LAB_PUBLIC_NAME: bad }), bad).toThrow(/LAB_PUBLIC_NAME/);
    }
  });
});
