/**
 * Commands sent to a lab supervisor carry an id; the supervisor answers `{ type: 'reply', id, ok, error? }`.
 * This matches replies to the promises of the commands that asked, for every transport (pipe, WebSocket,
 * WebContainer terminal).
 */
export class PendingReplies {
  private nextId = 1;
  private waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  /**
   * Start waiting for a reply: `post(id)` sends the command; if it throws or rejects, the wait ends with that error.
   */
  request(post: (id: number) => void | Promise<void>): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const fail = (error: unknown) => {
        this.waiting.delete(id);
        reject(error as Error);
      };
      try {
        void Promise.resolve(post(id)).catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  }

  /** Settle the waiter for a reply (the supervisor's `reply` event or the host's `reply` message). */
  settle(reply: { id: number | string; ok: boolean; error?: string | undefined }): void {
    if (typeof reply.id !== 'number') return;
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (reply.ok) waiter?.resolve();
    else waiter?.reject(new Error(reply.error ?? 'the command failed'));
  }

  /** The other side is gone: every open wait fails with this reason. */
  rejectAll(reason: string): void {
    for (const waiter of this.waiting.values()) waiter.reject(new Error(reason));
    this.waiting.clear();
  }
}
