/**
 * Splits a stream of text chunks into lines (\n or \r\n), keeping a partial last line for the next chunk. A line
 * longer than `maxLine` characters is dropped whole and counted, so a stream that never sends a newline cannot
 * fill memory.
 */
export class LineSplitter {
  private partial = '';
  private skipping = false;
  /** Over-long lines dropped so far. */
  dropped = 0;

  private readonly maxLine: number;

  constructor(maxLine = Infinity) {
    this.maxLine = maxLine;
  }

  push(chunk: string): string[] {
    const pieces = chunk.split('\n');
    const last = pieces.pop()!;
    const lines: string[] = [];
    for (const piece of pieces) {
      const line = this.skipping ? undefined : this.partial + piece;
      this.skipping = false;
      this.partial = '';
      if (line === undefined) continue;
      if (line.length > this.maxLine) this.dropped++;
      else lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (!this.skipping) {
      this.partial += last;
      if (this.partial.length > this.maxLine) {
        this.partial = '';
        this.skipping = true;
        this.dropped++;
      }
    }
    return lines;
  }
}
