/**
 * The learner's results of the last minute, counted: how many requests, and per user how many unexpected logouts
 * and mix-ups, on which instance. This is what steady traffic is for: one green row per visit says nothing, "Alice:
 * 3 logouts in the last minute (B 2, C 1)" says where the sessions are lost. Counts decay as results age out.
 */
import type { UserResultView } from '../../session/lab-store.ts';
import { failed, isMixup } from './user-status.ts';

export const WINDOW_MS = 60_000;

interface Entry {
  /** When it arrived, by the injected clock (the page's, not the lab's: the two need not agree). */
  at: number;
  user: string;
  /** Where it happened: the instance that answered, or "the balancer" when none did. */
  where: string;
  logout: boolean;
  mixup: boolean;
  failed: boolean;
}

export interface UserTally {
  /** Unexpected logouts (a mix-up is counted as one, not as both). */
  logouts: number;
  mixups: number;
  /** Logouts and mix-ups per instance, most first. */
  where: [string, number][];
}

export interface WindowTotals {
  requests: number;
  logouts: number;
  mixups: number;
  failed: number;
}

export class ResultWindow {
  private entries: Entry[] = [];
  private readonly now: () => number;
  readonly windowMs: number;

  /** `now`: the clock (injected by tests); `windowMs`: how far back results count. */
  constructor(now: () => number = () => Date.now(), windowMs = WINDOW_MS) {
    this.now = now;
    this.windowMs = windowMs;
  }

  add(result: UserResultView): void {
    const mixup = isMixup(result);
    this.entries.push({
      at: this.now(),
      user: result.user,
      where: result.instance ?? 'the balancer',
      logout: result.loggedOut && !mixup,
      mixup,
      failed: failed(result),
    });
  }

  clear(): void {
    this.entries = [];
  }

  /** Whether anything is still inside the window (so the counts still need redrawing as they decay). */
  get empty(): boolean {
    this.prune();
    return this.entries.length === 0;
  }

  totals(): WindowTotals {
    this.prune();
    const totals = { requests: this.entries.length, logouts: 0, mixups: 0, failed: 0 };
    for (const e of this.entries) {
      if (e.logout) totals.logouts++;
      if (e.mixup) totals.mixups++;
      if (e.failed) totals.failed++;
    }
    return totals;
  }

  user(user: string): UserTally {
    this.prune();
    const where = new Map<string, number>();
    let logouts = 0;
    let mixups = 0;
    for (const e of this.entries) {
      if (e.user !== user || !(e.logout || e.mixup)) continue;
      if (e.logout) logouts++;
      else mixups++;
      where.set(e.where, (where.get(e.where) ?? 0) + 1);
    }
    const sorted = [...where].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return { logouts, mixups, where: sorted };
  }

  private prune(): void {
    const oldest = this.now() - this.windowMs;
    // Entries arrive in clock order, so the expired ones are a prefix.
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.at <= oldest) drop++;
    if (drop) this.entries.splice(0, drop);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 logouts in the last minute (B 2, C 1)"; "" when the user had none. */
export function userTallyText(tally: UserTally): string {
  const what = tallyWhat(tally);
  return what ? `${what} in the last minute (${tallyWhere(tally)})` : '';
}

/**
 * The same for a user's row, where there is room for one short line: "3 logouts in 1 min (B 2, C 1)", with
 * no-break spaces inside "B 2" so a narrow row never wraps an instance away from its count.
 */
export function userTallyShort(tally: UserTally): string {
  const what = tallyWhat(tally);
  return what ? `${what} in 1 min (${tallyWhere(tally, '\u00a0')})` : '';
}

function tallyWhat(tally: UserTally): string {
  const parts: string[] = [];
  if (tally.logouts) parts.push(plural(tally.logouts, 'logout'));
  if (tally.mixups) parts.push(plural(tally.mixups, 'mix-up'));
  return parts.join(', ');
}

function tallyWhere(tally: UserTally, space = ' '): string {
  return tally.where.length === 1 ? `on${space}${tally.where[0]![0]}` : tally.where.map(([name, n]) => `${name}${space}${n}`).join(', ');
}

/** "Last minute: 40 requests, 6 unexpected logouts", naming mix-ups and failures only when there were some. */
export function windowSummary(totals: WindowTotals): string {
  const parts = [plural(totals.requests, 'request'), plural(totals.logouts, 'unexpected logout')];
  if (totals.mixups) parts.push(plural(totals.mixups, 'mix-up'));
  if (totals.failed) parts.push(`${totals.failed} failed`);
  return `Last minute: ${parts.join(', ')}`;
}
