/** Splits a stream of text chunks into lines (\n or \r\n), keeping a partial last line for the next chunk. */
export class LineSplitter {
  private partial = '';

  push(chunk: string): string[] {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    return lines;
  }
}
