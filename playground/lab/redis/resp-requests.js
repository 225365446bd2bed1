// @ts-check
/**
 * Incremental parser for the client→server half of RESP: each request is an array of bulk strings
 * (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`). Inline commands (plain text lines) are accepted too.
 * It only reads; the bytes are forwarded unchanged by the caller.
 */
export class RespRequestParser {
  /** @param {(args: string[]) => void} onCommand */
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
      this.onCommand(parsed.args);
    }
    this.buffer = this.buffer.subarray(offset);
    // A request this large is not something to summarise; stop parsing rather than buffer without bound.
    if (this.buffer.length > 4 * 1024 * 1024) { this.broken = true; this.buffer = Buffer.alloc(0); }
  }

  /** @param {number} start @returns {{ args: string[], next: number } | undefined} */
  parseOne(start) {
    const buf = this.buffer;
    if (start >= buf.length) return undefined;
    const lineEnd = buf.indexOf('\r\n', start);
    if (lineEnd < 0) return undefined;
    if (buf[start] !== 0x2a /* * */) {
      const args = buf.toString('utf8', start, lineEnd).trim().split(/\s+/).filter(Boolean);
      return { args, next: lineEnd + 2 };
    }
    const count = Number(buf.toString('latin1', start + 1, lineEnd));
    let pos = lineEnd + 2;
    /** @type {string[]} */
    const args = [];
    for (let i = 0; i < count; i++) {
      const headerEnd = buf.indexOf('\r\n', pos);
      if (headerEnd < 0 || buf[pos] !== 0x24 /* $ */) return undefined;
      const length = Number(buf.toString('latin1', pos + 1, headerEnd));
      const dataStart = headerEnd + 2;
      if (buf.length < dataStart + length + 2) return undefined;
      args.push(buf.toString('utf8', dataStart, dataStart + Math.min(length, 200)));
      pos = dataStart + length + 2;
    }
    return { args, next: pos };
  }
}
