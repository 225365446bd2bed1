/**
 * Unexpected logouts per instance over a sliding window (a minute by default): "2 logouts in the last minute" on
 * the card of the instance that answered a logged-in user as logged out. Learner traffic only; the caller skips
 * check traffic.
 */
import type { UserResultView } from '../../session/lab-store.ts';

export class LogoutCounter {
  readonly windowMs: number;
  /** Per instance, most stamps kept: steady traffic at its highest rate for a minute stays well under it. */
  private readonly cap: number;
  private stamps = new Map<string, number[]>();

  constructor(windowMs = 60_000, cap = 5000) {
    this.windowMs = windowMs;
    this.cap = cap;
  }

  /** Counts `result` when it is an unexpected logout answered by an instance; true when it counted. */
  record(result: UserResultView, at: number): boolean {
    if (result.check !== undefined || !result.loggedOut || !result.instance) return false;
    let list = this.stamps.get(result.instance);
    if (!list) {
      list = [];
      this.stamps.set(result.instance, list);
    }
    list.push(at);
    if (list.length > this.cap) list.splice(0, list.length - this.cap);
    return true;
  }

  /** Logouts `instance` answered within the window ending at `now`. */
  count(instance: string, now: number): number {
    const list = this.stamps.get(instance);
    if (!list) return 0;
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]! <= from) drop++;
    if (drop) list.splice(0, drop);
    if (list.length === 0) this.stamps.delete(instance);
    return list.length;
  }

  reset(): void {
    this.stamps.clear();
  }
}

/** "" for none, else "1 logout in the last minute" / "3 logouts in the last minute". */
export function logoutWords(count: number): string {
  if (count <= 0) return '';
  return `${count} logout${count === 1 ? '' : 's'} in the last minute`;
}

/** The card's shorter form: "3 logouts, last 60 s". */
export function logoutShortWords(count: number): string {
  if (count <= 0) return '';
  return `${count} logout${count === 1 ? '' : 's'}, last 60 s`;
}
