// @ts-check
/**
 * Incremental parser for the client→server half of RESP: each request is an array of bulk strings
 * (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`). Inline commands (plain text lines) are accepted too.
 * It only reads; the bytes are forwarded unchanged by the caller.
 */
/** @typedef {{ head: Buffer, size: number }} RawArgument  an argument's first bytes (at most HEAD_BYTES) and its whole length */

/** How much of each argument is kept: enough to name a key or show an excerpt, never a whole large value. */
const HEAD_BYTES = 200;

export class RespRequestParser {
  /** @param {(args: string[], raw: RawArgument[]) => void} onCommand  `args` as text (at most HEAD_BYTES each), `raw` as bytes */
  constructor(onCommand) {
    this.onCommand = onCommand;
    /** @type {Buffer} */
    this.buffer = Buffer.alloc(0);
    this.broken = false;
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    if (this.broken) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const parsed = this.parseOne(offset);
      if (!parsed) break;
      offset = parsed.next;
      this.onCommand(parsed.raw.map((a) => a.head.toString('utf8')), parsed.raw);
    }
    this.buffer = this.buffer.subarray(offset);
    // A request this large is not something to summarise; stop parsing rather than buffer without bound.
    if (this.buffer.length > 4 * 1024 * 1024) { this.broken = true; this.buffer = Buffer.alloc(0); }
  }

  /** @param {number} start @returns {{ raw: RawArgument[], next: number } | undefined} */
  parseOne(start) {
    const buf = this.buffer;
    if (start >= buf.length) return undefined;
    const lineEnd = buf.indexOf('\r\n', start);
    if (lineEnd < 0) return undefined;
    if (buf[start] !== 0x2a /* * */) {
      const words = buf.toString('utf8', start, lineEnd).trim().split(/\s+/).filter(Boolean);
      const raw = words.map((word) => Buffer.from(word, 'utf8')).map((bytes) => ({ head: bytes.subarray(0, HEAD_BYTES), size: bytes.length }));
      return { raw, next: lineEnd + 2 };
    }
    const count = Number(buf.toString('latin1', start + 1, lineEnd));
    let pos = lineEnd + 2;
    /** @type {RawArgument[]} */
    const raw = [];
    for (let i = 0; i < count; i++) {
      const headerEnd = buf.indexOf('\r\n', pos);
      if (headerEnd < 0 || buf[pos] !== 0x24 /* $ */) return undefined;
      const length = Number(buf.toString('latin1', pos + 1, headerEnd));
      const dataStart = headerEnd + 2;
      if (buf.length < dataStart + length + 2) return undefined;
      // A copy: the buffer is reused once parsed, and the head outlives it.
      raw.push({ head: Buffer.from(buf.subarray(dataStart, dataStart + Math.min(length, HEAD_BYTES))), size: length });
      pos = dataStart + length + 2;
    }
    return { raw, next: pos };
  }
}
