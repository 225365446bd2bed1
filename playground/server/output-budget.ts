/**
 * A token bucket over bytes sent to one browser: a lab may burst up to `burstSeconds` worth of its rate, then
 * whatever exceeds the rate is dropped and counted, so a flood cannot fill the host's memory or the learner's tab.
 */
export class OutputBudget {
  private tokens: number;
  private last: number;
  private readonly bytesPerSecond: number;
  private readonly capacity: number;
  /** Bytes dropped since the last call to takeDropped(). */
  private dropped = 0;

  constructor(bytesPerSecond: number, burstSeconds = 4, now = Date.now()) {
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = bytesPerSecond * burstSeconds;
    this.tokens = this.capacity;
    this.last = now;
  }

  /** Whether `bytes` may be sent now; when not, they are counted as dropped. */
  take(bytes: number, now = Date.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return true;
    }
    this.dropped += bytes;
    return false;
  }

  takeDropped(): number {
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}
