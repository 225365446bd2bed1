/**
 * Watches every lab's processes from the outside, a few times a second, and enforces the host's limits with a
 * message naming the limit: too many processes or files end the lab; a process over its memory or keeping a core
 * busy too long is stopped (the supervisor then reports that instance as crashed). It also keeps each lab's
 * current use for the operations endpoint.
 *
 * A process belongs to a lab when it runs as the lab's own user, shares the supervisor's session, or descends from
 * a process already known to be the lab's (in a sandbox, orphans are re-parented to its init, which is known).
 * Each tick reads one small file per process on the machine, and the full figures only of the labs' own.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LabLimits } from './host-config.ts';
import { killQuietly, listBriefs, readProcess, TICKS_PER_SECOND, type ProcessBrief, type ProcessInfo } from './proc-scan.ts';

export interface LimitHit {
  /** The limit's name as a learner reads it, e.g. "memory per process". */
  limit: string;
  message: string;
  /** `end-lab`: the whole lab must go; `stopped-process`: one process was killed and the lab goes on. */
  action: 'end-lab' | 'stopped-process';
}

export interface WatchedLab {
  id: string;
  /** The process the host spawned (sandbox wrapper or supervisor). */
  rootPid: number;
  uid: number | undefined;
  dir: string;
  /** Names a process by the pid the supervisor reported for it (pid inside the lab's namespace). */
  nameOf(innerPid: number): string | undefined;
  onLimit(hit: LimitHit): void;
}

export interface LabUsage {
  processes: number;
  rssBytes: number;
  /** Share of one core used since the previous sample, summed over the lab's processes. */
  cpuPercent: number;
  files: number;
}

interface Tracked {
  lab: WatchedLab;
  known: Set<number>;
  /** Per pid: CPU ticks and runnable time samples over the last cpuSeconds. */
  cpu: Map<number, { at: number; ticks: number; runnableNs: number; switches: number }[]>;
  usage: LabUsage;
  ended: boolean;
}

const FILE_COUNT_EVERY_MS = 2000;
/**
 * A process counts as spinning when its main thread was running or ready to run for this share of the whole
 * window and almost never waited for anything. A busy but healthy event loop still waits between bursts; a
 * loaded machine makes a spinning process wait for the CPU, which counts as runnable, not as waiting.
 */
const BUSY_SHARE = 0.9;
const WAITS_PER_SECOND = 1;

/** Count entries under `dir` without following links, stopping once past `stopAt`. */
export async function countFiles(dir: string, stopAt: number): Promise<number> {
  let count = 0;
  const pending = [dir];
  while (pending.length > 0 && count <= stopAt) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (folder === dir && entry.name === 'node_modules') continue; // the shared, read-only packages link
      count++;
      if (entry.isDirectory()) pending.push(path.join(folder, entry.name));
    }
  }
  return count;
}

export class LabWatchdog {
  private readonly limits: LabLimits;
  private readonly intervalMs: number;
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastFiles = 0;

  constructor(limits: LabLimits, { intervalMs = 500 } = {}) {
    this.limits = limits;
    this.intervalMs = intervalMs;
  }

  watch(lab: WatchedLab): () => void {
    this.tracked.set(lab.id, {
      lab,
      known: new Set([lab.rootPid]),
      cpu: new Map(),
      usage: { processes: 0, rssBytes: 0, cpuPercent: 0, files: 0 },
      ended: false,
    });
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    return () => {
      this.tracked.delete(lab.id);
      if (this.tracked.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  usage(labId: string): LabUsage | undefined {
    return this.tracked.get(labId)?.usage;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tracked.clear();
  }

  /** One pass over /proc for all labs. Public so tests and the ops endpoint can ask for a fresh reading. */
  async tick(): Promise<void> {
    if (this.ticking || this.tracked.size === 0) return;
    this.ticking = true;
    try {
      const briefs = listBriefs();
      const now = Date.now();
      const countFilesNow = now - this.lastFiles >= FILE_COUNT_EVERY_MS;
      if (countFilesNow) this.lastFiles = now;
      for (const entry of this.tracked.values()) {
        if (entry.ended) continue;
        const members = this.members(entry, briefs)
          .map((pid) => readProcess(pid))
          .filter((info): info is ProcessInfo => info !== undefined);
        this.measure(entry, members, now);
        this.enforce(entry, members);
        if (countFilesNow && !entry.ended) await this.checkFiles(entry);
      }
    } finally {
      this.ticking = false;
    }
  }

  private members(entry: Tracked, briefs: ProcessBrief[]): number[] {
    const { lab, known } = entry;
    const alive = new Set(briefs.map((brief) => brief.pid));
    for (const pid of known) if (!alive.has(pid)) known.delete(pid);
    // Parents come before children in /proc order only usually, so repeat until nothing new joins.
    for (let grew = true; grew; ) {
      grew = false;
      for (const brief of briefs) {
        if (known.has(brief.pid)) continue;
        if (known.has(brief.ppid) || brief.sid === lab.rootPid || (lab.uid !== undefined && brief.uid === lab.uid)) {
          known.add(brief.pid);
          grew = true;
        }
      }
    }
    return [...known];
  }

  /** Processes the learner's code runs in: not the sandbox's own wrapper processes. */
  private learnerProcesses(entry: Tracked, members: ProcessInfo[]): ProcessInfo[] {
    return members.filter((info) => info.pid !== entry.lab.rootPid && !(info.name === 'bwrap' && (info.ppid === entry.lab.rootPid || info.innerPid === 1)));
  }

  private measure(entry: Tracked, members: ProcessInfo[], now: number): void {
    const windowMs = this.limits.cpuSeconds * 1000;
    let cpuPercent = 0;
    for (const info of members) {
      const samples = entry.cpu.get(info.pid) ?? [];
      const previous = samples.at(-1);
      if (previous && now > previous.at) cpuPercent += (((info.cpuTicks - previous.ticks) / TICKS_PER_SECOND) * 1000 * 100) / (now - previous.at);
      samples.push({ at: now, ticks: info.cpuTicks, runnableNs: info.runnableNs, switches: info.voluntarySwitches });
      while (samples.length > 2 && now - samples[1]!.at >= windowMs) samples.shift();
      entry.cpu.set(info.pid, samples);
    }
    for (const pid of entry.cpu.keys()) if (!entry.known.has(pid)) entry.cpu.delete(pid);
    const learner = this.learnerProcesses(entry, members);
    entry.usage = {
      processes: learner.length,
      rssBytes: members.reduce((sum, info) => sum + info.rss, 0),
      cpuPercent: Math.round(cpuPercent),
      files: entry.usage.files, // counted less often, in checkFiles
    };
  }

  private describe(entry: Tracked, info: ProcessInfo): string {
    const name = entry.lab.nameOf(info.innerPid);
    return name ? `${name} (${info.name}, pid ${info.innerPid})` : `a process of your lab (${info.name}, pid ${info.innerPid})`;
  }

  private endLab(entry: Tracked, hit: Omit<LimitHit, 'action'>): void {
    entry.ended = true;
    entry.lab.onLimit({ ...hit, action: 'end-lab' });
  }

  private enforce(entry: Tracked, members: ProcessInfo[]): void {
    const limits = this.limits;
    const learner = this.learnerProcesses(entry, members);
    if (learner.length > limits.processesPerLab) {
      return this.endLab(entry, {
        limit: 'processes per lab',
        message: `Your lab started ${learner.length} processes; the limit is ${limits.processesPerLab}. The lab was stopped so the machine stays usable for everyone. Look for code that spawns or forks in a loop, then run again.`,
      });
    }
    const memoryBytes = limits.memoryMbPerProcess * 1024 * 1024;
    const windowMs = limits.cpuSeconds * 1000;
    for (const info of learner) {
      if (info.rss > memoryBytes) {
        killQuietly(info.pid);
        entry.lab.onLimit({
          limit: 'memory per process',
          action: 'stopped-process',
          message: `${this.describe(entry, info)} used ${Math.round(info.rss / 1024 / 1024)} MB of memory; the limit is ${limits.memoryMbPerProcess} MB per process, so it was stopped. Something is probably growing without end (a Map or array that is never emptied?).`,
        });
        continue;
      }
      const samples = entry.cpu.get(info.pid);
      const first = samples?.[0];
      const last = samples?.at(-1);
      if (first && last && last.at - first.at >= windowMs) {
        const spanMs = last.at - first.at;
        const busyMs = (last.runnableNs - first.runnableNs) / 1e6;
        const waits = last.switches - first.switches;
        if (busyMs >= BUSY_SHARE * spanMs && waits <= (WAITS_PER_SECOND * spanMs) / 1000) {
          killQuietly(info.pid);
          entry.cpu.delete(info.pid);
          entry.lab.onLimit({
            limit: 'CPU time',
            action: 'stopped-process',
            message: `${this.describe(entry, info)} kept a CPU core busy for ${limits.cpuSeconds} seconds without a break, so it was stopped. Look for a loop that never ends.`,
          });
        }
      }
    }
  }

  private async checkFiles(entry: Tracked): Promise<void> {
    const count = await countFiles(entry.lab.dir, this.limits.files);
    entry.usage.files = count;
    if (count > this.limits.files) {
      this.endLab(entry, {
        limit: 'files per lab',
        message: `Your lab's folder holds more than ${this.limits.files} files, the limit, so the lab was stopped. Look for code that writes a new file on every request.`,
      });
    }
  }
}
