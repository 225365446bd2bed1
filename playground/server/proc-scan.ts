/**
 * Reads Linux's /proc to see the processes the host is responsible for: who they belong to (uid, session, parent,
 * LAB_ID) and what they use (resident memory, CPU time). Reads are synchronous: the files are small and kernel-made,
 * and the watchdog reads them several times a second, where promise overhead once cost more than the reads.
 * Other systems get empty lists; the host then relies on process groups alone.
 */
import fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Session id: a lab's supervisor starts a session, and its children stay in it unless they detach. */
  sid: number;
  uid: number;
  /** Resident memory in bytes. */
  rss: number;
  /** User + system CPU time in clock ticks (see TICKS_PER_SECOND), of all its threads, those ended included. */
  cpuTicks: number;
  /**
   * Nanoseconds the main thread spent running or waiting to run (from /proc/<pid>/schedstat). A thread that spins
   * is runnable all the time even when a loaded machine gives it little CPU, so this tells spinning from busy;
   * readThreadTimes has it for every thread.
   */
  runnableNs: number;
  /** Times the main thread gave up the CPU to wait (for I/O, a timer, a lock). A busy loop never does. */
  voluntarySwitches: number;
  /** Start time since boot in clock ticks: together with pid it identifies a process across pid reuse. */
  startTicks: number;
  /** The pid as seen inside the innermost pid namespace (what a sandboxed supervisor reports). */
  innerPid: number;
  name: string;
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
export const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export const procAvailable = process.platform === 'linux';

/** Parse /proc/<pid>/stat; the command name sits in parentheses and may itself contain spaces or parentheses. */
export function parseStat(text: string): { name: string; ppid: number; sid: number; cpuTicks: number; startTicks: number; rssPages: number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5)
  const at = (field: number) => Number(fields[field - 3]);
  return { name: text.slice(open + 1, close), ppid: at(4), sid: at(6), cpuTicks: at(14) + at(15), startTicks: at(22), rssPages: at(24) };
}

/** Who a process is, from one small file and a stat: enough to tell which lab it belongs to. */
export interface ProcessBrief {
  pid: number;
  ppid: number;
  sid: number;
  uid: number;
}

export function listPids(): number[] {
  if (!procAvailable) return [];
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
}

/** Every process, briefly: one small file and a stat each, enough to tell which lab a process belongs to. */
export function listBriefs(): ProcessBrief[] {
  const briefs: ProcessBrief[] = [];
  for (const pid of listPids()) {
    try {
      const parsed = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (parsed) briefs.push({ pid, ppid: parsed.ppid, sid: parsed.sid, uid: fs.statSync(`/proc/${pid}`).uid });
    } catch {
      // it exited while we looked
    }
  }
  return briefs;
}

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Everything measured about one process; undefined once it has exited. */
export function readProcess(pid: number): ProcessInfo | undefined {
  const stat = readOptional(`/proc/${pid}/stat`);
  const status = readOptional(`/proc/${pid}/status`);
  const parsed = stat === undefined ? undefined : parseStat(stat);
  if (!parsed || status === undefined) return undefined;
  const schedstat = readOptional(`/proc/${pid}/schedstat`);
  const [runNs, waitNs] = (schedstat ?? '').split(' ').map(Number);
  return {
    pid,
    ppid: parsed.ppid,
    sid: parsed.sid,
    uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1),
    rss: parsed.rssPages * PAGE_BYTES,
    cpuTicks: parsed.cpuTicks,
    runnableNs: schedstat ? runNs! + waitNs! : (parsed.cpuTicks / TICKS_PER_SECOND) * 1e9,
    voluntarySwitches: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    startTicks: parsed.startTicks,
    innerPid: Number(/^NSpid:.*?(\d+)\s*$/m.exec(status)?.[1] ?? pid),
    name: parsed.name,
  };
}

/**
 * Per thread of a process: nanoseconds it spent on a CPU, and running or waiting to run, from
 * /proc/<pid>/task/<tid>/schedstat (from its CPU ticks where the kernel keeps no schedstat: then both are the
 * same). Empty once the process has exited.
 */
export function readThreadTimes(pid: number): Map<number, { runNs: number; runnableNs: number }> {
  const threads = new Map<number, { runNs: number; runnableNs: number }>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const schedstat = readOptional(`/proc/${pid}/task/${tid}/schedstat`);
    if (schedstat !== undefined) {
      const [runNs, waitNs] = schedstat.split(' ').map(Number);
      if (Number.isFinite(runNs) && Number.isFinite(waitNs)) {
        threads.set(Number(tid), { runNs: runNs!, runnableNs: runNs! + waitNs! });
        continue;
      }
    }
    const stat = readOptional(`/proc/${pid}/task/${tid}/stat`);
    const parsed = stat === undefined ? undefined : parseStat(stat);
    if (parsed) {
      const ns = (parsed.cpuTicks / TICKS_PER_SECOND) * 1e9;
      threads.set(Number(tid), { runNs: ns, runnableNs: ns });
    }
  }
  return threads;
}

/** Times one thread gave up the CPU to wait (for I/O, a timer, a lock); undefined once it has exited. */
export function readThreadSwitches(pid: number, tid: number): number | undefined {
  const status = readOptional(`/proc/${pid}/task/${tid}/status`);
  const match = status === undefined ? undefined : /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
  return match ? Number(match[1]) : undefined;
}

export function listProcesses(): ProcessInfo[] {
  return listPids()
    .map((pid) => readProcess(pid))
    .filter((info): info is ProcessInfo => info !== undefined);
}

/** Processes started with one of these LAB_IDs (those whose environment we may read). */
export function pidsOfLabs(labIds: ReadonlySet<string>): number[] {
  return listPids().filter((pid) => {
    const labId = /(?:^|\0)LAB_ID=([^\0]*)/.exec(readOptional(`/proc/${pid}/environ`) ?? '')?.[1];
    return labId !== undefined && labIds.has(labId);
  });
}

/** Whether a process with this pid and start time still runs (a reused pid does not count). */
export function stillRunning(pid: number, startTicks: number | undefined): boolean {
  const info = readProcess(pid);
  return info !== undefined && (startTicks === undefined || info.startTicks === startTicks);
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
