/**
 * The graded checks' own traffic (user events carrying `check`), kept apart from the learner's: one group per
 * check and per run, counted, so a check's users never pass for Alice, Bob and Carol.
 */
import type { UserResultView } from '../../session/lab-store.ts';
import { failed, isMixup } from './user-status.ts';

export interface CheckGroupTally {
  /** Which run of the checks (1 for the first run this page saw). */
  run: number;
  check: string;
  requests: number;
  loggedOut: number;
  mixups: number;
  failed: number;
}

/** The check a result belongs to, or undefined for the learner's own. */
export function checkOf(result: UserResultView): string | undefined {
  return result.check || undefined;
}

export class CheckTraffic {
  private run = 0;
  private groups = new Map<string, CheckGroupTally>();

  /** A new run of the checks began: their traffic from now on is grouped afresh. */
  begin(): void {
    this.run++;
    this.groups.clear();
  }

  /** Counts a check's result in its group; `created` says it is the group's first. */
  add(result: UserResultView & { check: string }): { group: CheckGroupTally; created: boolean } {
    // Traffic before any checks-start this page saw (opened mid-run) still belongs to a run: the current one.
    if (this.run === 0) this.run = 1;
    let group = this.groups.get(result.check);
    const created = !group;
    if (!group) {
      group = { run: this.run, check: result.check, requests: 0, loggedOut: 0, mixups: 0, failed: 0 };
      this.groups.set(result.check, group);
    }
    group.requests++;
    if (isMixup(result)) group.mixups++;
    else if (result.loggedOut) group.loggedOut++;
    if (failed(result)) group.failed++;
    return { group, created };
  }

  /** Forget a group (its row left the log); its next result starts a new one. */
  drop(check: string): void {
    this.groups.delete(check);
  }
}

/** "Check “Sessions survive a restart”: 42 requests, 3 logged out". */
export function checkGroupSummary(group: CheckGroupTally): string {
  const parts = [`${group.requests} request${group.requests === 1 ? '' : 's'}`];
  if (group.loggedOut) parts.push(`${group.loggedOut} logged out`);
  if (group.mixups) parts.push(`${group.mixups} mix-up${group.mixups === 1 ? '' : 's'}`);
  if (group.failed) parts.push(`${group.failed} failed`);
  return `Check “${group.check}”: ${parts.join(', ')}`;
}
