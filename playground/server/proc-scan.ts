/**
 * Reads Linux's /proc to see the processes the host is responsible for: who they belong to (uid, pid namespace,
 * session, LAB_ID) and what they use (resident memory, CPU time). Other systems get an empty list; the host then
 * relies on process groups alone.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Session id: a lab's supervisor starts a session, and its children stay in it unless they detach. */
  sid: number;
  uid: number;
  /** Resident memory in bytes. */
  rss: number;
  /** User + system CPU time in clock ticks (see TICKS_PER_SECOND). */
  cpuTicks: number;
  /**
   * Nanoseconds spent running or waiting to run (from /proc/<pid>/schedstat). A process that spins is runnable
   * all the time even when a loaded machine gives it little CPU, so this tells spinning from busy.
   */
  runnableNs: number;
  /** Times the main thread gave up the CPU to wait (for I/O, a timer, a lock). A busy loop never does. */
  voluntarySwitches: number;
  /** Start time since boot in clock ticks: together with pid it identifies a process across pid reuse. */
  startTicks: number;
  /** Inode of the pid namespace, e.g. "pid:[4026532845]". */
  pidNamespace: string | undefined;
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

/**
 * Every process, briefly, read synchronously: the watchdog does this a few times a second, and reading two small
 * entries per process without the promise machinery costs a small fraction of reading everything asynchronously.
 */
export function listBriefSync(): ProcessBrief[] {
  if (!procAvailable) return [];
  const briefs: ProcessBrief[] = [];
  for (const entry of fsSync.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parsed = parseStat(fsSync.readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (!parsed) continue;
      briefs.push({ pid: Number(entry), ppid: parsed.ppid, sid: parsed.sid, uid: fsSync.statSync(`/proc/${entry}`).uid });
    } catch {
      // it exited while we looked
    }
  }
  return briefs;
}

/** Everything the watchdog measures about one process, read synchronously; undefined once it has exited. */
export function readProcessSync(pid: number): ProcessInfo | undefined {
  try {
    const stat = fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = fsSync.readFileSync(`/proc/${pid}/status`, 'utf8');
    let schedstat: string | undefined;
    try {
      schedstat = fsSync.readFileSync(`/proc/${pid}/schedstat`, 'utf8');
    } catch {
      schedstat = undefined;
    }
    return describe(pid, stat, status, schedstat, undefined);
  } catch {
    return undefined;
  }
}

function describe(pid: number, stat: string, status: string, schedstat: string | undefined, pidNamespace: string | undefined): ProcessInfo | undefined {
  const parsed = parseStat(stat);
  if (!parsed) return undefined;
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const [runNs, waitNs] = (schedstat ?? '').split(' ').map(Number);
  const runnableNs = schedstat ? runNs! + waitNs! : (parsed.cpuTicks / TICKS_PER_SECOND) * 1e9;
  const voluntarySwitches = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const innerPid = Number(/^NSpid:.*?(\d+)\s*$/m.exec(status)?.[1] ?? pid);
  return { pid, ppid: parsed.ppid, sid: parsed.sid, uid, rss: parsed.rssPages * PAGE_BYTES, cpuTicks: parsed.cpuTicks, runnableNs, voluntarySwitches, startTicks: parsed.startTicks, pidNamespace, innerPid, name: parsed.name };
}

export async function readProcess(pid: number, { namespace = false } = {}): Promise<ProcessInfo | undefined> {
  try {
    const [stat, status, schedstat] = await Promise.all([
      fs.readFile(`/proc/${pid}/stat`, 'utf8'),
      fs.readFile(`/proc/${pid}/status`, 'utf8'),
      fs.readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => undefined),
    ]);
    const pidNamespace = namespace ? await fs.readlink(`/proc/${pid}/ns/pid`).catch(() => undefined) : undefined;
    return describe(pid, stat, status, schedstat, pidNamespace);
  } catch {
    return undefined; // it exited while we looked
  }
}

export async function listPids(): Promise<number[]> {
  if (!procAvailable) return [];
  const entries = await fs.readdir('/proc');
  return entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
}

export async function listProcesses(options: { namespace?: boolean } = {}): Promise<ProcessInfo[]> {
  const found = await Promise.all((await listPids()).map((pid) => readProcess(pid, options)));
  return found.filter((info): info is ProcessInfo => info !== undefined);
}

/** The LAB_ID a process was started with, if we may read its environment. */
export async function labIdOf(pid: number): Promise<string | undefined> {
  try {
    const environ = await fs.readFile(`/proc/${pid}/environ`, 'utf8');
    return /(?:^|\0)LAB_ID=([^\0]*)/.exec(environ)?.[1];
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid and start time still runs (a reused pid does not count). */
export async function stillRunning(pid: number, startTicks: number | undefined): Promise<boolean> {
  const info = await readProcess(pid);
  if (!info) return false;
  return startTicks === undefined || info.startTicks === startTicks;
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
