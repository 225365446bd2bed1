/**
 * Watches every lab's processes and folder from the outside, a few times a second, and enforces the host's limits
 * with a message naming the limit: too many processes or files, or a folder over its size, end the lab; a process
 * over its memory or keeping a core busy too long is stopped (the supervisor then reports that instance as
 * crashed); what the kernel did on its own (an OOM kill in the lab's cgroup, a full disk, a file at the size
 * limit) is reported so the learner knows why. It also keeps each lab's current use for the operations endpoint.
 *
 * A process belongs to a lab when it runs as the lab's own user, shares the supervisor's session, or descends from
 * a process already known to be the lab's (in a sandbox, orphans are re-parented to its init, which is known).
 * Each tick reads one small file per process on the machine, and the full figures only of the labs' own.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LabLimits } from './host-config.ts';
import { killQuietly, listBriefs, readProcess, readThreadSwitches, readThreadTimes, TICKS_PER_SECOND, type ProcessBrief, type ProcessInfo } from './proc-scan.ts';

export interface LimitHit {
  /** The limit's name as a learner reads it, e.g. "memory per process". */
  limit: string;
  message: string;
  /**
   * `end-lab`: the whole lab must go; `stopped-process`: one process was killed (by the watchdog or the kernel)
   * and the lab goes on; `informed`: nothing was stopped, the learner is told why something failed (a write
   * refused by the kernel) and the lab goes on.
   */
  action: 'end-lab' | 'stopped-process' | 'informed';
}

/** The lab's control group as the watchdog reads it (lab-cgroup.ts's LabCgroup). */
export interface WatchedCgroup {
  /** Processes the kernel's OOM killer has stopped in the lab so far. */
  oomKills(): number;
  /** The lab's memory now, files in memory included. */
  memoryBytes(): number | undefined;
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
  /** The lab's cgroup, when the host made one: its OOM kills become "memory per lab" messages. */
  cgroup?: WatchedCgroup;
  /**
   * Whether `app/` is the lab's own filesystem of `diskMb` (the kernel refuses writes past it). Without it the
   * watchdog sums the folder's file sizes and ends the lab past the quota.
   */
  ownDisk?: boolean;
}

export interface LabUsage {
  processes: number;
  rssBytes: number;
  /** Share of one core used since the previous sample, summed over the lab's processes. */
  cpuPercent: number;
  files: number;
  /** Bytes the lab's folder holds (counted with the files). */
  diskBytes: number;
  /** The lab's memory by its cgroup (processes and files kept in memory), when it has one. */
  cgroupMemoryBytes?: number;
}

interface ThreadState {
  at: number;
  runNs: number;
  runnableNs: number;
  /** Since when the thread has been runnable nearly all the time without waiting, its wait count and CPU time then. */
  busySince?: number;
  switchesThen?: number;
  runNsThen?: number;
}

interface Tracked {
  lab: WatchedLab;
  known: Set<number>;
  /** Per pid: CPU ticks (all threads) samples over the last cpuSeconds. */
  cpu: Map<number, { at: number; ticks: number }[]>;
  /** Per pid, per thread: how long it has been spinning. */
  threads: Map<number, Map<number, ThreadState>>;
  usage: LabUsage;
  ended: boolean;
  oomKills: number;
  /** Files already reported at the size limit (device:inode). */
  filesAtLimit: Set<string>;
  diskFullTold: boolean;
}

const FILE_COUNT_EVERY_MS = 2000;
/**
 * Rule 1, a thread that spins: one of the process's threads was running or ready to run for this share of every
 * tick of the whole window, almost never waited for anything, and got at least MIN_SPIN_CORE_SHARE of a core. A
 * busy but healthy thread still waits between bursts; a loaded machine (or the lab's CPU quota) makes a spinning
 * thread wait for the CPU, which counts as runnable, not as waiting. The CPU floor spares threads that are only
 * starved: ten instances starting at once in a lab held to one core each stay runnable for seconds while
 * loading their modules, with a tenth of a core each.
 */
const BUSY_SHARE = 0.9;
const WAITS_PER_SECOND = 1;
const MIN_SPIN_CORE_SHARE = 0.25;
/**
 * Rule 2, a process that keeps a core busy however it does it (short naps, several threads): its threads together
 * used this share of one core over the whole window. Healthy labs stay far below it: with three labs grading at
 * once on 2 cores, the busiest process (a supervisor) peaked at 0.31 of a core over 3 s and 0.2 over 15 s.
 */
const CORE_SHARE = 0.75;
/** A folder with its own disk is full when less than this is free: the kernel is refusing writes (ENOSPC). */
const FULL_FREE_BYTES = 128 * 1024;
const FULL_FREE_SHARE = 0.01;
/** Small files of the host's outside app/ (owner.json, checks.js) that a lab with its own disk may add to it. */
const OUTSIDE_APP_SLACK = 1024 * 1024;

/** Count entries under `dir` without following links, stopping once past `stopAt`. */
export async function countFiles(dir: string, stopAt: number): Promise<number> {
  return (await scanFolder(dir, stopAt, { sizes: false })).count;
}

export interface FolderScan {
  count: number;
  /** Space the files take (allocated blocks), outside the folder kept `apart`. */
  bytes: number;
  /** The same inside the folder kept apart, where its sizes were read. */
  bytesApart: number;
  /** Regular files at least `bigAt` bytes long: path relative to the folder, identity and size. */
  big: { relative: string; key: string; size: number }[];
}

export interface ScanOptions {
  /** lstat each entry, to sum the space it takes and find files of `bigAt` bytes or more. */
  sizes: boolean;
  bigAt?: number;
  /** A top-level folder tallied apart (a lab's own disk, which the kernel measures)... */
  apart?: string;
  /** ...and whether its entries are stat'ed at all (only counted otherwise). */
  sizesApart?: boolean;
}

/** Walk `dir` without following links, stopping once past `stopAt` entries. */
export async function scanFolder(dir: string, stopAt: number, options: ScanOptions): Promise<FolderScan> {
  const scan: FolderScan = { count: 0, bytes: 0, bytesApart: 0, big: [] };
  const pending: { folder: string; sizes: boolean; apart: boolean }[] = [{ folder: dir, sizes: options.sizes, apart: false }];
  while (pending.length > 0 && scan.count <= stopAt) {
    const { folder, sizes, apart } = pending.pop()!;
    let entries;
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    const measured: { location: string; apart: boolean }[] = [];
    for (const entry of entries) {
      if (folder === dir && entry.name === 'node_modules') continue; // the shared, read-only packages link
      scan.count++;
      const location = path.join(folder, entry.name);
      const isApart = apart || (folder === dir && entry.name === options.apart);
      const measure = sizes && (!isApart || options.sizesApart !== false);
      if (entry.isDirectory()) pending.push({ folder: location, sizes: measure, apart: isApart });
      if (measure && (entry.isFile() || entry.isDirectory())) measured.push({ location, apart: isApart });
      if (scan.count > stopAt) break;
    }
    const stats = await Promise.all(measured.map(({ location }) => fs.lstat(location).catch(() => undefined)));
    for (const [index, stat] of stats.entries()) {
      if (!stat) continue;
      const taken = stat.blocks !== undefined ? stat.blocks * 512 : stat.size;
      if (measured[index]!.apart) scan.bytesApart += taken;
      else scan.bytes += taken;
      if (options.bigAt !== undefined && stat.isFile() && stat.size >= options.bigAt) {
        scan.big.push({ relative: path.relative(dir, measured[index]!.location), key: `${stat.dev}:${stat.ino}`, size: stat.size });
      }
    }
  }
  return scan;
}

/**
 * A file of the lab's folder named as the learner knows it, to start a message with: each instance process runs in
 * its own copy of the app, `app/.instances/<name>-<generation>-<n>/` (playground/lab/instance-disk.js), so a file
 * there is that instance's, named as its code names it (relative to its working directory); any other file is the
 * lab's, under app/ as the editor shows it. `relative` is relative to the lab folder, with `/` between names.
 */
export function learnerFile(relative: string): string {
  const onDisk = /^app\/\.instances\/([^/-]+)-\d+-\d+\/(.+)$/.exec(relative);
  if (onDisk) return `Instance ${onDisk[1]}'s file ${onDisk[2]} (on its own disk)`;
  return `Your lab's file ${relative}`;
}

function mb(bytes: number): string {
  const value = bytes / 1024 / 1024;
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
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
      threads: new Map(),
      usage: { processes: 0, rssBytes: 0, cpuPercent: 0, files: 0, diskBytes: 0 },
      ended: false,
      oomKills: lab.cgroup?.oomKills() ?? 0,
      filesAtLimit: new Set(),
      diskFullTold: false,
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
        const spinning = this.measure(entry, members, now);
        this.checkKernelKills(entry);
        this.enforce(entry, members, spinning);
        if (entry.lab.ownDisk && !entry.ended) await this.checkOwnDisk(entry);
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

  /** Sample CPU use; returns, per pid, how long its longest-spinning thread has spun (ms). */
  private measure(entry: Tracked, members: ProcessInfo[], now: number): Map<number, number> {
    const windowMs = this.limits.cpuSeconds * 1000;
    const learner = new Set(this.learnerProcesses(entry, members).map((info) => info.pid));
    const spinning = new Map<number, number>();
    let cpuPercent = 0;
    for (const info of members) {
      const samples = entry.cpu.get(info.pid) ?? [];
      const previous = samples.at(-1);
      const usedTicks = previous ? info.cpuTicks - previous.ticks : 0;
      if (previous && now > previous.at) cpuPercent += ((usedTicks / TICKS_PER_SECOND) * 1000 * 100) / (now - previous.at);
      samples.push({ at: now, ticks: info.cpuTicks });
      while (samples.length > 2 && now - samples[1]!.at >= windowMs) samples.shift();
      entry.cpu.set(info.pid, samples);
      // Threads are read only for learner processes that used the CPU at all since the last tick (a spinning
      // thread always gets some), which keeps idle labs cheap to watch.
      if (learner.has(info.pid) && usedTicks > 0) {
        const longest = this.sampleThreads(entry, info.pid, now);
        if (longest > 0) spinning.set(info.pid, longest);
      } else entry.threads.delete(info.pid);
    }
    for (const pid of entry.cpu.keys()) if (!entry.known.has(pid)) entry.cpu.delete(pid);
    for (const pid of entry.threads.keys()) if (!entry.known.has(pid)) entry.threads.delete(pid);
    const learnerInfos = this.learnerProcesses(entry, members);
    entry.usage = {
      processes: learnerInfos.length,
      rssBytes: members.reduce((sum, info) => sum + info.rss, 0),
      cpuPercent: Math.round(cpuPercent),
      files: entry.usage.files, // counted less often, in checkFiles
      diskBytes: entry.usage.diskBytes,
      cgroupMemoryBytes: entry.lab.cgroup?.memoryBytes(),
    };
    return spinning;
  }

  /** Update the spin streak of every thread of `pid`; returns the longest streak in ms. */
  private sampleThreads(entry: Tracked, pid: number, now: number): number {
    const before = entry.threads.get(pid) ?? new Map<number, ThreadState>();
    const after = new Map<number, ThreadState>();
    let longest = 0;
    for (const [tid, times] of readThreadTimes(pid)) {
      const previous = before.get(tid);
      const state: ThreadState = { at: now, ...times };
      if (previous && now > previous.at) {
        const busy = (times.runnableNs - previous.runnableNs) / 1e6 >= BUSY_SHARE * (now - previous.at);
        const switches = busy ? readThreadSwitches(pid, tid) : undefined;
        if (busy && switches !== undefined) {
          const since = previous.busySince ?? previous.at;
          const switchesThen = previous.switchesThen ?? switches;
          const runNsThen = previous.runNsThen ?? previous.runNs;
          if (switches - switchesThen <= 1 + (WAITS_PER_SECOND * (now - since)) / 1000) {
            Object.assign(state, { busySince: since, switchesThen, runNsThen });
            if ((times.runNs - runNsThen) / 1e6 >= MIN_SPIN_CORE_SHARE * (now - since)) longest = Math.max(longest, now - since);
          } else {
            // It waits too often to be a spinning loop: start counting again from here.
            Object.assign(state, { busySince: now, switchesThen: switches, runNsThen: times.runNs });
          }
        }
      }
      after.set(tid, state);
    }
    entry.threads.set(pid, after);
    return longest;
  }

  private describe(entry: Tracked, info: ProcessInfo): string {
    const name = entry.lab.nameOf(info.innerPid);
    return name ? `${name} (${info.name}, pid ${info.innerPid})` : `a process of your lab (${info.name}, pid ${info.innerPid})`;
  }

  private endLab(entry: Tracked, hit: Omit<LimitHit, 'action'>): void {
    entry.ended = true;
    entry.lab.onLimit({ ...hit, action: 'end-lab' });
  }

  /** The kernel's OOM killer acted in the lab's cgroup: say which limit that was. */
  private checkKernelKills(entry: Tracked): void {
    const cgroup = entry.lab.cgroup;
    if (!cgroup) return;
    const kills = cgroup.oomKills();
    if (kills <= entry.oomKills) return;
    const count = kills - entry.oomKills;
    entry.oomKills = kills;
    const what = count === 1 ? 'a process' : `${count} processes`;
    entry.lab.onLimit({
      limit: 'memory per lab',
      action: 'stopped-process',
      message: `The kernel stopped ${what} of your lab: its processes together reached ${this.limits.memoryMbPerLab} MB of memory, the limit per lab (files in /tmp and in the lab's folder count too, as they are kept in memory). Look for data that grows without end, or large files that are never deleted.`,
    });
  }

  private enforce(entry: Tracked, members: ProcessInfo[], spinning: Map<number, number>): void {
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
      let why: string | undefined;
      if ((spinning.get(info.pid) ?? 0) >= windowMs) why = 'one of its threads never paused';
      const samples = entry.cpu.get(info.pid);
      const first = samples?.[0];
      const last = samples?.at(-1);
      if (!why && first && last && last.at - first.at >= windowMs) {
        const usedSeconds = (last.ticks - first.ticks) / TICKS_PER_SECOND;
        if (usedSeconds >= (CORE_SHARE * (last.at - first.at)) / 1000) why = `its threads together used ${Math.round(usedSeconds * 10) / 10} s of CPU time in ${Math.round((last.at - first.at) / 100) / 10} s`;
      }
      if (why) {
        killQuietly(info.pid);
        entry.cpu.delete(info.pid);
        entry.threads.delete(info.pid);
        entry.lab.onLimit({
          limit: 'CPU time',
          action: 'stopped-process',
          message: `${this.describe(entry, info)} kept a CPU core busy for ${limits.cpuSeconds} seconds (${why}), so it was stopped. Look for a loop that never ends or only pauses for a moment, also in worker threads.`,
        });
      }
    }
  }

  /** A lab with its own disk: tell the learner once when it is full, since the kernel now refuses writes. */
  private async checkOwnDisk(entry: Tracked): Promise<void> {
    let stats;
    try {
      stats = await fs.statfs(path.join(entry.lab.dir, 'app'));
    } catch {
      return;
    }
    const size = stats.blocks * stats.bsize;
    const free = stats.bavail * stats.bsize;
    const full = free < Math.max(FULL_FREE_BYTES, FULL_FREE_SHARE * size);
    if (full && !entry.diskFullTold) {
      entry.diskFullTold = true;
      entry.lab.onLimit({
        limit: 'disk per lab',
        action: 'informed',
        message: `Your lab's folder is full: it holds ${this.limits.diskMb} MB, the limit ("disk per lab"), so writing more fails with ENOSPC (no space left on device). Delete files your code no longer needs; a file written on every request adds up.`,
      });
    } else if (!full && size - free < 0.9 * size) entry.diskFullTold = false;
  }

  private async checkFiles(entry: Tracked): Promise<void> {
    const limits = this.limits;
    const fileLimitBytes = Math.round(limits.fileMb * 1024 * 1024);
    const quotaBytes = limits.diskMb * 1024 * 1024;
    let appUsed = 0;
    if (entry.lab.ownDisk) {
      try {
        const stats = await fs.statfs(path.join(entry.lab.dir, 'app'));
        appUsed = (stats.blocks - stats.bfree) * stats.bsize;
      } catch {
        appUsed = 0;
      }
    }
    // With its own disk, app/ is measured by the kernel; its files are stat'ed only when one could be at the
    // size limit. Without, every file is.
    const scan = await scanFolder(entry.lab.dir, limits.files, {
      sizes: true,
      bigAt: fileLimitBytes,
      apart: entry.lab.ownDisk ? 'app' : undefined,
      sizesApart: appUsed >= fileLimitBytes,
    });
    const bytes = scan.bytes + (entry.lab.ownDisk ? appUsed : scan.bytesApart);
    entry.usage.files = scan.count;
    entry.usage.diskBytes = bytes;
    if (scan.count > limits.files) {
      return this.endLab(entry, {
        limit: 'files per lab',
        message: `Your lab's folder holds more than ${limits.files} files, the limit, so the lab was stopped. Look for code that writes a new file on every request.`,
      });
    }
    if (bytes > quotaBytes + (entry.lab.ownDisk ? OUTSIDE_APP_SLACK : 0)) {
      return this.endLab(entry, {
        limit: 'disk per lab',
        message: `Your lab's folder holds ${mb(bytes)} MB of files, more than ${limits.diskMb} MB, the limit, so the lab was stopped. Look for code that writes large files, or a new file on every request, and never deletes them.`,
      });
    }
    for (const file of scan.big) {
      if (entry.filesAtLimit.has(file.key)) continue;
      if (entry.filesAtLimit.size < 10_000) entry.filesAtLimit.add(file.key);
      entry.lab.onLimit({
        limit: 'file size',
        action: 'informed',
        message: `${learnerFile(file.relative.split(path.sep).join('/'))} reached ${limits.fileMb} MB, the largest a file may be, so writing more to it fails with EFBIG (file too large). Look for a log or data file that grows on every request.`,
      });
    }
  }
}
