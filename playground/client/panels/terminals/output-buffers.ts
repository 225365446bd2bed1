/**
 * What each Terminal tab holds (pure, no DOM): every process's newest output lines, bounded, and the queue of
 * log lines waiting for the next animation frame.
 */

/** Lines kept per process (and for "All"); older lines are dropped. Also the terminal's scrollback. */
export const MAX_LINES = 1000;

/** Drops the oldest items so that at most `max` remain. */
function keepNewest<T>(items: T[], max: number): void {
  if (items.length > max) items.splice(0, items.length - max);
}

/** Terminal text (already coloured) per process key, the newest `max` lines each. */
export class OutputBuffers {
  private readonly byKey = new Map<string, string[]>();
  private readonly max: number;

  constructor(max = MAX_LINES) {
    this.max = max;
  }

  push(key: string, text: string): void {
    let lines = this.byKey.get(key);
    if (!lines) this.byKey.set(key, (lines = []));
    lines.push(text);
    keepNewest(lines, this.max);
  }

  lines(key: string): readonly string[] {
    return this.byKey.get(key) ?? [];
  }

  /** Forgets a process's lines (Clear, or its tab went away). */
  clear(key: string): void {
    this.byKey.delete(key);
  }
}

/** What the terminal writes to show a tab from scratch: its lines, or a muted note when it has none. */
export function screenText(lines: readonly string[], emptyNote: string): string {
  // Bright black, as for the All tab's process names: readable, unlike SGR 2 (dim).
  return lines.length ? lines.join('\r\n') + '\r\n' : `\x1b[90m${emptyNote}\x1b[0m\r\n`;
}

/** Items waiting to be handled together; a flood keeps only the newest `max`. */
export class BoundedQueue<T> {
  private items: T[] = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  add(item: T): void {
    this.items.push(item);
    keepNewest(this.items, this.max);
  }

  /** Everything queued, oldest first; the queue is empty afterwards. */
  take(): T[] {
    const taken = this.items;
    this.items = [];
    return taken;
  }
}
