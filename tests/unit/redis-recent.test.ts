import { describe, expect, it } from 'vitest';
import { MAX_EXCERPT_CHARS, readableArgument, readableCommand } from '../../playground/lab/redis/readable-argument.js';
import { RespRequestParser, type RawArgument } from '../../playground/lab/redis/resp-requests.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

/** What the socket.io Redis adapter publishes: msgpack of [uid, packet, options], binary lengths and all. */
function msgpackLike(): Uint8Array {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([0xa0 | b.length]), b]);
  };
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x93]),
      str('Xk3pQ9'),
      Buffer.from([0x84]),
      str('type'),
      Buffer.from([0x02]),
      str('data'),
      Buffer.from([0x92]),
      str('message'),
      str('hello room'),
      str('nsp'),
      str('/'),
      Buffer.from([0x00, 0x01, 0xff, 0xc1]),
    ]),
  );
}

describe('readable Redis arguments', () => {
  it('shows short printable text as it is', () => {
    expect(readableArgument(bytes('session:3f2a'))).toBe('session:3f2a');
    expect(readableArgument(bytes('EX'))).toBe('EX');
    expect(readableArgument(bytes('a\tb\nc'))).toBe('a\tb\nc');
    expect(readableArgument(bytes(''))).toBe('');
  });

  it('shows binary (msgpack) as its size and the printable runs in it, never the raw bytes', () => {
    const payload = msgpackLike();
    const shown = readableArgument(payload);
    expect(shown).toMatch(new RegExp(`^‹${payload.length} bytes: ".*"›$`));
    const excerpt = /"(.*)"/.exec(shown)?.[1] ?? '';
    expect(excerpt.startsWith('Xk3pQ9…type…data…')).toBe(true);
    // No control character, replacement character or lone length byte made it through.
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\ufffd]/u);
    expect(excerpt.split('…').every((run) => run === '' || [...run].length >= 3)).toBe(true);
  });

  it('summarises a long JSON value with its size and a cut excerpt', () => {
    const value = JSON.stringify({ cookie: { originalMaxAge: 86_400_000, httpOnly: true, path: '/' }, user: 'alice' });
    const shown = readableArgument(bytes(value));
    expect(shown).toBe(`‹${Buffer.byteLength(value)} bytes: "${value.slice(0, MAX_EXCERPT_CHARS)}…"›`);
  });

  it('treats text with a control character, or invalid UTF-8, as binary even when short', () => {
    expect(readableArgument(bytes('abc\u0000defg'))).toBe('‹8 bytes: "abc…defg"›');
    expect(readableArgument(new Uint8Array([0x68, 0x69, 0xff]))).toBe('‹3 bytes›');
  });

  it('never cuts a multibyte character, whether short, long or cut off by the parser', () => {
    expect(readableArgument(bytes('café ☕ 日本'))).toBe('café ☕ 日本');
    const long = '日本語のテキスト😀'.repeat(8);
    const shown = readableArgument(bytes(long));
    const excerpt = /"(.*)…"/.exec(shown)?.[1] ?? '';
    expect([...excerpt]).toHaveLength(MAX_EXCERPT_CHARS);
    expect(long.startsWith(excerpt)).toBe(true);
    expect(shown).not.toMatch(/\ufffd/u);
    // The parser keeps only the first bytes of a large value: the cut may fall inside a character.
    const whole = Buffer.from('é'.repeat(150), 'utf8');
    const cut = readableArgument(new Uint8Array(whole.subarray(0, 201)), whole.length);
    expect(cut).toBe(`‹300 bytes: "${'é'.repeat(MAX_EXCERPT_CHARS)}…"›`);
  });

  it('makes a PUBLISH of the socket.io adapter readable, from the wire to the line', () => {
    const payload = Buffer.from(msgpackLike());
    const channel = Buffer.from('socket.io#/#');
    const wire = Buffer.concat([
      Buffer.from(`*3\r\n$7\r\npublish\r\n$${channel.length}\r\n`),
      channel,
      Buffer.from(`\r\n$${payload.length}\r\n`),
      payload,
      Buffer.from('\r\n'),
    ]);
    const lines: string[] = [];
    const texts: string[][] = [];
    new RespRequestParser((args, raw: RawArgument[]) => {
      texts.push(args);
      lines.push(readableCommand(raw));
    }).push(wire);
    expect(texts[0]?.[0]).toBe('publish');
    expect(lines).toEqual([`PUBLISH socket.io#/# ‹${payload.length} bytes: "Xk3pQ9…type…data…message…hello r…"›`]);
  });
});
