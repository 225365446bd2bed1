/**
 * The playground's notices: at most one current message per situation (the files, a save, the last action, the
 * lab, the runtime, storage, the checks), replaced when the situation has news and cleared when it no longer
 * holds. The newest current one is shown; clearing it shows the one before, if that still holds.
 */
export type NoticeTone = 'info' | 'success' | 'error';

export type Situation = 'files' | 'save' | 'action' | 'lab' | 'runtime' | 'storage' | 'checks';

export interface Notice {
  situation: Situation;
  text: string;
  tone: NoticeTone;
  /** Offered as an Undo button next to the message. */
  undo?: () => void;
}

export class NoticeBoard {
  /** Current notices, oldest first. */
  private notices: Notice[] = [];
  private listeners = new Set<(current: Notice | undefined) => void>();

  set(situation: Situation, text: string, options: { tone?: NoticeTone; undo?: () => void } = {}): void {
    this.notices = this.notices.filter((n) => n.situation !== situation);
    this.notices.push({ situation, text, tone: options.tone ?? 'info', undo: options.undo });
    this.notify();
  }

  clear(...situations: Situation[]): void {
    const before = this.notices.length;
    this.notices = this.notices.filter((n) => !situations.includes(n.situation));
    if (this.notices.length !== before) this.notify();
  }

  get(situation: Situation): Notice | undefined {
    return this.notices.find((n) => n.situation === situation);
  }

  /** The message on show: the newest that still holds. */
  get current(): Notice | undefined {
    return this.notices.at(-1);
  }

  subscribe(listener: (current: Notice | undefined) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.current);
  }
}
