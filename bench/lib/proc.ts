/**
 * Linux /proc readers: the process tree under a pid, resident memory (VmRSS) and CPU time of each process.
 * Used to measure a whole lab (supervisor and every descendant) from outside.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** command line, joined with spaces */
  command: string;
  rssKb: number;
  /** user + system CPU time, in ms */
  cpuMs: number;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Direct children of a pid, from every thread's children list. */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const found = new Set<number>();
  for (const task of tasks) {
    for (const child of (read(`/proc/${pid}/task/${task}/children`) ?? '').split(/\s+/)) {
      if (child) found.add(Number(child));
    }
  }
  return [...found];
}

/** The pid and all its descendants, parents before children. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...childrenOf(pid));
  }
  return out;
}

export function procInfo(pid: number): ProcInfo | undefined {
  const status = read(`/proc/${pid}/status`);
  const stat = read(`/proc/${pid}/stat`);
  if (!status || !stat) return undefined;
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  const ppid = /^PPid:\s+(\d+)/m.exec(status);
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const command = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
  return { pid, ppid: Number(ppid?.[1] ?? 0), command, rssKb: Number(rss?.[1] ?? 0), cpuMs: cpuTicks * TICK_MS };
}

/** Every live process in the tree under root, with its memory and CPU time. */
export function treeInfo(root: number): ProcInfo[] {
  return processTree(root).map(procInfo).filter((p): p is ProcInfo => p !== undefined);
}
