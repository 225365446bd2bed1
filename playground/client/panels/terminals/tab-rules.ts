/**
 * The Terminal panel's rules about its tabs (pure functions, no DOM): their order, which processes the lab state
 * lists, which tabs get a "new output" mark, and which crashes the banner shows.
 */
import type { LabState, ProcessState } from '../../session/lab-store.ts';
import type { TermProcess } from './terminals-format.ts';

/** The key of the tab showing every process's output. */
export const ALL = '*all';

/** Rows the crash banner shows; further crashes are counted. */
export const BANNER_ROWS = 3;

const RANK: Record<TermProcess['role'], number> = { all: 0, balancer: 1, instance: 2, redis: 3 };

/** Display order: All, balancer, instances by name, redis. */
export function byDisplayOrder(a: TermProcess, b: TermProcess): number {
  return RANK[a.role] - RANK[b.role] || a.key.localeCompare(b.key);
}

/** The processes the lab state lists, each with a state a tab can show ("absent" shows as stopped). */
export function listedProcesses(state: LabState): TermProcess[] {
  const shown = (value: ProcessState | 'absent'): ProcessState => (value === 'absent' ? 'stopped' : value);
  return [
    { key: 'balancer', role: 'balancer', state: shown(state.balancer.state) },
    { key: 'redis', role: 'redis', state: shown(state.redis.state), reason: state.redis.reason },
    ...state.instances.map((instance): TermProcess => ({ key: instance.name, role: 'instance', state: shown(instance.state), reason: instance.reason })),
  ];
}

/** Instance tabs the lab state no longer lists (scaled down, or output from a process it never announced). */
export function unlistedInstances<T extends TermProcess>(tabs: Iterable<T>, listed: readonly TermProcess[]): T[] {
  const keys = new Set(listed.map((p) => p.key));
  return [...tabs].filter((tab) => tab.role === 'instance' && !keys.has(tab.key));
}

/**
 * Whether output for `tab` earns it a "new output" mark: only when that output is not on screen. The All tab
 * shows everyone's, so neither it nor any tab while it is shown gets one; a crashed tab has its crash mark.
 */
export function marksUnread(tab: TermProcess & { unread: boolean }, active: TermProcess | undefined): boolean {
  return tab !== active && tab.role !== 'all' && active?.role !== 'all' && !tab.unread && tab.state !== 'crashed';
}

/**
 * The crash banner's rows: crashed processes in display order with the shown one first, at most `BANNER_ROWS`,
 * and how many more crashed.
 */
export function bannerRows<T extends TermProcess>(ordered: readonly T[], active: T | undefined): { rows: T[]; more: number } {
  const crashed = ordered.filter((p) => p.state === 'crashed').sort((a, b) => Number(b === active) - Number(a === active));
  return { rows: crashed.slice(0, BANNER_ROWS), more: Math.max(0, crashed.length - BANNER_ROWS) };
}
