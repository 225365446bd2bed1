// @ts-check
/**
 * Turns a child's output stream into bounded log lines: long lines are cut, a burst beyond the byte budget is
 * dropped with one notice, and the last lines are kept so a crash can be explained without the full log.
 */

const MAX_LINE_CHARS = 2000;
const KEEP_LINES = 40;

export class BoundedOutput {
  /**
   * @param {(stream: 'stdout' | 'stderr', text: string) => void} onLine
   * @param {{ bytesPerSecond?: number, rewrite?: (line: string) => string, observe?: (stream: 'stdout' | 'stderr', line: string) => boolean | void }} [options]
   *   rewrite: applied to every line first (an instance shows the learner's paths, not its copy's);
   *   observe: sees every line, even those dropped for the byte budget; a line it returns true for is the lab's own
   *   signal and is not shown
   */
  constructor(onLine, { bytesPerSecond = 64 * 1024, rewrite, observe } = {}) {
    this.onLine = onLine;
    this.bytesPerSecond = bytesPerSecond;
    this.rewrite = rewrite;
    this.observe = observe;
    /** @type {{ stream: 'stdout' | 'stderr', text: string }[]} */
    this.recent = [];
    this.windowStart = Date.now();
    this.windowBytes = 0;
    this.dropped = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.dropTimer = undefined;
    /** @type {Record<string, string>} */
    this.partial = { stdout: '', stderr: '' };
  }

  /** @param {'stdout' | 'stderr'} stream @param {Buffer | string} chunk */
  push(stream, chunk) {
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split(/\r?\n/);
    this.partial[stream] = lines.pop() ?? '';
    if (this.partial[stream].length > MAX_LINE_CHARS) {
      lines.push(this.partial[stream]);
      this.partial[stream] = '';
    }
    for (const line of lines) this.line(stream, line);
  }

  /** Emit whatever is left without a trailing newline (the process ended). */
  flush() {
    for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
      if (this.partial[stream]) this.line(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    this.reportDropped();
  }

  /** @param {'stdout' | 'stderr'} stream @param {string} original */
  line(stream, original) {
    const raw = this.rewrite ? this.rewrite(original) : original;
    if (this.observe?.(stream, raw) === true) return;
    const text = raw.length > MAX_LINE_CHARS ? `${raw.slice(0, MAX_LINE_CHARS)} … (${raw.length - MAX_LINE_CHARS} more characters)` : raw;
    this.recent.push({ stream, text });
    if (this.recent.length > KEEP_LINES) this.recent.shift();
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.reportDropped();
      this.windowStart = now;
      this.windowBytes = 0;
    }
    this.windowBytes += text.length + 1;
    if (this.windowBytes > this.bytesPerSecond) {
      this.dropped += 1;
      // Say so when the window ends even if the process goes quiet.
      this.dropTimer ??= setTimeout(() => {
        this.dropTimer = undefined;
        this.reportDropped();
      }, Math.max(0, 1000 - (now - this.windowStart)));
      this.dropTimer.unref?.();
      return;
    }
    this.onLine(stream, text);
  }

  reportDropped() {
    if (this.dropped === 0) return;
    this.onLine('stderr', `[lab] ${this.dropped} lines of output dropped: more than ${Math.round(this.bytesPerSecond / 1024)} KB per second`);
    this.dropped = 0;
  }

  /** The last lines, preferring stderr: what a learner needs to see when a process dies. @param {number} count */
  lastErrorLines(count = 8) {
    const errors = this.recent.filter((l) => l.stream === 'stderr' && l.text.trim() !== '');
    const pool = errors.length > 0 ? errors : this.recent.filter((l) => l.text.trim() !== '');
    return pool.slice(-count).map((l) => l.text);
  }
}
