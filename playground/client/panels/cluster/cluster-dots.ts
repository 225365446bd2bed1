/**
 * Which requests get a travelling dot. A busy lab reports hundreds of requests per second; drawing each one would
 * melt the page and tell the learner nothing. A token bucket lets bursts through up to a small budget, a hard cap
 * bounds the dots on screen, and everything that is not drawn is still counted (chart, served counters).
 * Failures and Alice/Bob/Carol's own clicks are preferred: they are what the learner is watching.
 */
export interface DotBudget {
  /** Most dots on screen at once. */
  maxLive: number;
  /** Dots admitted per second on average. */
  perSecond: number;
  /** Dots that may start at the same moment (bucket size). */
  burst: number;
}

export const DEFAULT_BUDGET: DotBudget = { maxLive: 24, perSecond: 12, burst: 6 };

export class DotSampler {
  private tokens: number;
  private last = Number.NaN;
  private live = 0;
  /** Requests seen and dots drawn since the last `rate()` call, for the "showing 1 in N" note. */
  private seen = 0;
  private drawn = 0;
  readonly budget: DotBudget;

  constructor(budget: DotBudget = DEFAULT_BUDGET) {
    this.budget = budget;
    this.tokens = budget.burst;
  }

  private refill(now: number): void {
    if (!Number.isNaN(this.last)) {
      this.tokens = Math.min(this.budget.burst, this.tokens + ((now - this.last) / 1000) * this.budget.perSecond);
    }
    this.last = now;
  }

  /**
   * Whether this request gets a dot. `priority` requests (failures, a named user's click) may spend the last token
   * the others leave: ordinary ones only draw while more than one token remains.
   */
  admit(now: number, priority = false): boolean {
    this.seen++;
    this.refill(now);
    if (this.live >= this.budget.maxLive) return false;
    const floor = priority ? 1 : Math.min(2, this.budget.burst);
    if (this.tokens < floor) return false;
    this.tokens -= 1;
    this.live++;
    this.drawn++;
    return true;
  }

  /** A dot finished its trip (or was removed). */
  release(): void {
    this.live = Math.max(0, this.live - 1);
  }

  get liveCount(): number {
    return this.live;
  }

  /** Requests seen and dots drawn since the previous call. */
  rate(): { seen: number; drawn: number } {
    const out = { seen: this.seen, drawn: this.drawn };
    this.seen = 0;
    this.drawn = 0;
    return out;
  }
}
