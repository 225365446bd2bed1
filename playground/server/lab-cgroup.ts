/**
 * Kernel limits for a whole lab: a control group per lab, made below the host's own cgroup in every hierarchy
 * that can hold it, so a lab stays inside whatever limits the host itself has.
 *
 * - `cpu`: a quota of `cpuCores` cores for the lab's processes and threads together;
 * - `memory`: `memoryMbPerLab` for the lab's processes together, including the files they keep in memory (the
 *   sandbox's /tmp and the lab's own folder are tmpfs), and no swap; the kernel stops a process of the lab when
 *   it is reached (its OOM killer), which the watchdog reports;
 * - `pids`: a task count (processes and threads) per lab, a backstop against fork bombs.
 *
 * cgroup v2 is used for the controllers its hierarchy offers the host (enabled in the host cgroup's
 * subtree_control; the host's processes move into a leaf of their own when the kernel requires it), cgroup v1
 * hierarchies for the others. Where neither works (not root, read-only cgroupfs) the host says so at start-up
 * and the watchdog alone enforces the limits.
 *
 * A lab's processes enter its cgroup before their first instruction: the supervisor's command line starts with
 * a shell that writes its own pid into every cgroup.procs and then execs the rest (see `enterCommand`).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { LabLimits } from './host-config.ts';
import { killQuietly } from './proc-scan.ts';

export type Controller = 'cpu' | 'memory' | 'pids';
export const CONTROLLERS: readonly Controller[] = ['cpu', 'memory', 'pids'];

/** Tasks (threads count) per allowed process: each Node process runs about a dozen. Same as lab-sandbox's RLIMIT_NPROC. */
export const TASKS_PER_PROCESS = 24;
const CPU_PERIOD_US = 100_000;
/** Every cgroup this host makes is named with this prefix and the lab's id. */
export const CGROUP_PREFIX = 'stateless-';
/** Where the host's own processes go on cgroup v2 when its cgroup must become an inner node. */
const HOST_LEAF = 'stateless-host';

export interface Hierarchy {
  version: 1 | 2;
  controllers: Controller[];
  /** The host's own cgroup in this hierarchy: lab cgroups are made inside it. */
  parent: string;
}

export interface CgroupSupport {
  hierarchies: Hierarchy[];
  /** Controllers no hierarchy could provide, and why. */
  missing: { controller: Controller; reason: string }[];
}

interface CgroupMount {
  mountPoint: string;
  /** The cgroup shown at the mount point, relative to the hierarchy's root. */
  root: string;
  type: 'cgroup' | 'cgroup2';
  options: string[];
}

/** mountinfo escapes spaces, tabs, newlines and backslashes as octal. */
export function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The cgroup mounts listed in /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [type, , superOptions] = right.split(' ');
    if ((type !== 'cgroup' && type !== 'cgroup2') || !fields[3] || !fields[4]) continue;
    mounts.push({ mountPoint: unescapeMountPath(fields[4]), root: unescapeMountPath(fields[3]), type, options: (superOptions ?? '').split(',') });
  }
  return mounts;
}

/** /proc/self/cgroup text: per v1 controller its cgroup path, and the v2 path (the `0::` line). */
export function parseProcCgroup(text: string): { v1: Map<string, string>; v2: string | undefined } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, cgroupPath] = match;
    if (id === '0' && controllers === '') v2 = cgroupPath;
    else for (const controller of controllers!.split(',')) if (controller) v1.set(controller, cgroupPath!);
  }
  return { v1, v2 };
}

/** The folder of `cgroupPath` under a mount of its hierarchy, or undefined when the mount does not show it. */
export function cgroupFolder(mount: CgroupMount, cgroupPath: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root && cgroupPath !== root && !cgroupPath.startsWith(root + '/')) return undefined;
  return path.join(mount.mountPoint, cgroupPath.slice(root.length));
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'not permitted to create cgroups' : code === 'EROFS' ? 'the cgroup filesystem is read-only' : ((error as Error).message ?? String(error));
}

/** The file of a controller that proves a cgroup of this hierarchy really has it. */
function controlFile(version: 1 | 2, controller: Controller): string {
  if (controller === 'cpu') return version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us';
  if (controller === 'memory') return version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  return 'pids.max';
}

/** Make and remove a trial cgroup below `parent`; returns the controllers whose control files it had. */
function probe(parent: string, version: 1 | 2, wanted: Controller[]): { ok: Controller[]; error?: string } {
  const trial = path.join(parent, `${CGROUP_PREFIX}probe-${process.pid}`);
  try {
    fs.mkdirSync(trial);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return { ok: [], error: errorText(error) };
  }
  try {
    return { ok: wanted.filter((controller) => fs.existsSync(path.join(trial, controlFile(version, controller)))) };
  } finally {
    try {
      fs.rmdirSync(trial);
    } catch {
      // a trial cgroup never holds a process; if it cannot go, it is empty and harmless
    }
  }
}

/**
 * cgroup v2: controllers the host's cgroup can hand to children. The kernel refuses to enable controllers for the
 * children of a cgroup that holds processes (other than the root), so those processes move into a leaf first.
 */
function enableV2(parent: string, wanted: Controller[]): { enabled: Controller[]; error?: string } {
  const offered = (read(path.join(parent, 'cgroup.controllers')) ?? '').split(/\s+/);
  const candidates = wanted.filter((controller) => offered.includes(controller));
  if (candidates.length === 0) return { enabled: [] };
  const subtree = path.join(parent, 'cgroup.subtree_control');
  const enabledNow = () => (read(subtree) ?? '').split(/\s+/);
  const enable = () => {
    const missing = candidates.filter((controller) => !enabledNow().includes(controller));
    if (missing.length > 0) fs.writeFileSync(subtree, missing.map((controller) => `+${controller}`).join(' '));
  };
  try {
    enable();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EBUSY') return { enabled: [], error: errorText(error) };
    try {
      const leaf = path.join(parent, HOST_LEAF);
      fs.mkdirSync(leaf, { recursive: true });
      // Processes may start while we move them; a few rounds settle it.
      for (let round = 0; round < 10; round++) {
        const pids = (read(path.join(parent, 'cgroup.procs')) ?? '').split('\n').filter(Boolean);
        if (pids.length === 0) break;
        for (const pid of pids) {
          try {
            fs.writeFileSync(path.join(leaf, 'cgroup.procs'), pid);
          } catch {
            // it exited, or is a kernel thread that cannot move
          }
        }
      }
      enable();
    } catch (again) {
      return { enabled: [], error: `the host's cgroup holds processes that cannot move (${errorText(again)})` };
    }
  }
  return { enabled: candidates.filter((controller) => enabledNow().includes(controller)) };
}

let detected: CgroupSupport | undefined;

/** Which controllers this host can give each lab, decided once (the first call makes and removes trial cgroups). */
export function cgroupSupport(): CgroupSupport {
  detected ??= detect();
  return detected;
}

function detect(): CgroupSupport {
  if (process.platform !== 'linux') return { hierarchies: [], missing: CONTROLLERS.map((controller) => ({ controller, reason: 'not Linux' })) };
  const mounts = parseCgroupMounts(read('/proc/self/mountinfo') ?? '');
  const own = parseProcCgroup(read('/proc/self/cgroup') ?? '');
  const hierarchies: Hierarchy[] = [];
  const reasons = new Map<Controller, string>();
  let remaining = [...CONTROLLERS];

  const v2Mount = mounts.find((mount) => mount.type === 'cgroup2' && own.v2 !== undefined && cgroupFolder(mount, own.v2) !== undefined);
  if (v2Mount && own.v2 !== undefined) {
    const parent = cgroupFolder(v2Mount, own.v2)!;
    const { enabled, error } = enableV2(parent, remaining);
    if (error) for (const controller of remaining) reasons.set(controller, `cgroup v2: ${error}`);
    if (enabled.length > 0) {
      const { ok, error: probeError } = probe(parent, 2, enabled);
      if (ok.length > 0) {
        hierarchies.push({ version: 2, controllers: ok, parent });
        remaining = remaining.filter((controller) => !ok.includes(controller));
      }
      if (probeError) for (const controller of enabled) reasons.set(controller, `cgroup v2: ${probeError}`);
    }
  }

  for (const controller of [...remaining]) {
    const mount = mounts.find((candidate) => candidate.type === 'cgroup' && candidate.options.includes(controller));
    const cgroupPath = own.v1.get(controller);
    if (!mount || cgroupPath === undefined) {
      if (!reasons.has(controller)) reasons.set(controller, 'no cgroup hierarchy offers it');
      continue;
    }
    const parent = cgroupFolder(mount, cgroupPath);
    if (parent === undefined) {
      reasons.set(controller, `the host's ${controller} cgroup is not visible under ${mount.mountPoint}`);
      continue;
    }
    const shared = hierarchies.find((hierarchy) => hierarchy.version === 1 && hierarchy.parent === parent);
    if (shared) {
      shared.controllers.push(controller);
      remaining = remaining.filter((other) => other !== controller);
      continue;
    }
    const { ok, error } = probe(parent, 1, [controller]);
    if (ok.length > 0) {
      hierarchies.push({ version: 1, controllers: ok, parent });
      remaining = remaining.filter((other) => other !== controller);
    } else reasons.set(controller, `cgroup v1: ${error ?? `no ${controlFile(1, controller)} in ${parent}`}`);
  }
  return { hierarchies, missing: remaining.map((controller) => ({ controller, reason: reasons.get(controller) ?? 'unavailable' })) };
}

/** What each lab's cgroup holds it to, for the start-up line. */
export function describeCgroups(support: CgroupSupport, limits: LabLimits): string {
  const parts: string[] = [];
  const has = (controller: Controller) => support.hierarchies.find((hierarchy) => hierarchy.controllers.includes(controller));
  const version = (controller: Controller) => `v${has(controller)!.version}`;
  if (has('cpu')) parts.push(`CPU ${limits.cpuCores} core${limits.cpuCores === 1 ? '' : 's'} (cgroup ${version('cpu')})`);
  if (has('memory')) parts.push(`memory ${limits.memoryMbPerLab} MB (cgroup ${version('memory')})`);
  if (has('pids')) parts.push(`${limits.processesPerLab * TASKS_PER_PROCESS} tasks (cgroup ${version('pids')})`);
  // Controllers missing for the same reason are named together.
  const reasons = new Map<string, Controller[]>();
  for (const entry of support.missing) reasons.set(entry.reason, [...(reasons.get(entry.reason) ?? []), entry.controller]);
  const missing = [...reasons].map(([reason, controllers]) => `${controllers.join(', ')}: ${reason}`);
  if (parts.length === 0) return `no cgroup limits per lab (${missing.join('; ')}), so the watchdog alone limits CPU and memory`;
  return `cgroup limits per lab: ${parts.join(', ')}${missing.length > 0 ? `; without ${missing.join('; ')}` : ''}`;
}

/** The folders a lab's cgroup has (one per hierarchy), named after the lab. */
export function labCgroupDirs(support: CgroupSupport, labId: string): string[] {
  return support.hierarchies.map((hierarchy) => path.join(hierarchy.parent, `${CGROUP_PREFIX}${labId}`));
}

/** What each control file of a lab's cgroup is set to, in the order they must be written. */
export function cgroupSettings(hierarchy: Hierarchy, limits: LabLimits): [string, string, 'required' | 'optional'][] {
  const quota = String(Math.max(1000, Math.round(limits.cpuCores * CPU_PERIOD_US)));
  const memory = String(Math.round(limits.memoryMbPerLab * 1024 * 1024));
  const tasks = String(limits.processesPerLab * TASKS_PER_PROCESS);
  const out: [string, string, 'required' | 'optional'][] = [];
  for (const controller of hierarchy.controllers) {
    if (hierarchy.version === 2) {
      if (controller === 'cpu') out.push(['cpu.max', `${quota} ${CPU_PERIOD_US}`, 'required']);
      if (controller === 'memory') out.push(['memory.max', memory, 'required'], ['memory.swap.max', '0', 'optional']);
      if (controller === 'pids') out.push(['pids.max', tasks, 'required']);
    } else {
      if (controller === 'cpu') out.push(['cpu.cfs_period_us', String(CPU_PERIOD_US), 'optional'], ['cpu.cfs_quota_us', quota, 'required']);
      // memsw (memory + swap) may only be set once the memory limit is, and not below it.
      if (controller === 'memory') out.push(['memory.limit_in_bytes', memory, 'required'], ['memory.memsw.limit_in_bytes', memory, 'optional']);
      if (controller === 'pids') out.push(['pids.max', tasks, 'required']);
    }
  }
  return out;
}

/**
 * Tell the shell at the head of a lab's command line which cgroups to enter. `$0` names it in errors; a cgroup it
 * cannot enter stops the lab before anything of it runs (exit 125) rather than letting it run unlimited.
 */
const ENTER_SCRIPT = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "could not enter the lab cgroup $1" >&2; exit 125; }; shift; n=$((n - 1)); done; exec "$@"';

/** A lab's control groups: made before its supervisor starts, removed (with everything in them) after it ends. */
export class LabCgroup {
  readonly dirs: string[];
  private readonly memoryDirs: { dir: string; version: 1 | 2 }[];

  private constructor(dirs: string[], memoryDirs: { dir: string; version: 1 | 2 }[]) {
    this.dirs = dirs;
    this.memoryDirs = memoryDirs;
  }

  /** Make the lab's cgroups with their limits; on any failure, removes what it made and throws. */
  static async create(support: CgroupSupport, labId: string, limits: LabLimits): Promise<LabCgroup | undefined> {
    if (support.hierarchies.length === 0) return undefined;
    const dirs = labCgroupDirs(support, labId);
    const made: string[] = [];
    try {
      for (const [index, hierarchy] of support.hierarchies.entries()) {
        const dir = dirs[index]!;
        await fsp.mkdir(dir);
        made.push(dir);
        for (const [file, value, need] of cgroupSettings(hierarchy, limits)) {
          try {
            await fsp.writeFile(path.join(dir, file), value);
          } catch (error) {
            if (need === 'required') throw new Error(`could not set ${file} of the lab's cgroup ${dir}: ${(error as Error).message}`);
          }
        }
      }
    } catch (error) {
      await removeCgroups(made);
      throw error;
    }
    const memoryDirs = support.hierarchies.flatMap((hierarchy, index) => (hierarchy.controllers.includes('memory') ? [{ dir: dirs[index]!, version: hierarchy.version }] : []));
    return new LabCgroup(dirs, memoryDirs);
  }

  /** The command-line prefix that moves the supervisor into this cgroup and then runs the rest. */
  enterCommand(): string[] {
    return ['/bin/sh', '-c', ENTER_SCRIPT, 'lab-cgroup', String(this.dirs.length), ...this.dirs.map((dir) => path.join(dir, 'cgroup.procs'))];
  }

  /** Processes the kernel's OOM killer has stopped in this lab so far (read a few times a second by the watchdog). */
  oomKills(): number {
    let kills = 0;
    for (const { dir, version } of this.memoryDirs) {
      const text = read(path.join(dir, version === 2 ? 'memory.events' : 'memory.oom_control')) ?? '';
      kills += Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
    }
    return kills;
  }

  /** Memory the lab uses now, its files in memory included, in bytes; undefined without a memory cgroup. */
  memoryBytes(): number | undefined {
    const memory = this.memoryDirs[0];
    if (!memory) return undefined;
    const text = read(path.join(memory.dir, memory.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'));
    return text === undefined ? undefined : Number(text.trim());
  }

  /** Kill everything in the lab's cgroups and wait until they are empty. Never throws; returns whether they are. */
  async killAll(): Promise<boolean> {
    return emptyCgroups(this.dirs);
  }

  /** Kill everything in the lab's cgroups, wait until they are empty and remove them. Never throws. */
  async remove(): Promise<boolean> {
    return removeCgroups(this.dirs);
  }
}

function processesIn(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) for (const line of (read(path.join(dir, 'cgroup.procs')) ?? '').split('\n')) if (line) pids.add(Number(line));
  return [...pids];
}

function killRound(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      if (fs.existsSync(path.join(dir, 'cgroup.kill'))) fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    } catch {
      // signals below do it too
    }
  }
  for (const pid of processesIn(dirs)) killQuietly(pid);
}

const pause = (round: number) => new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * (round + 1))));

/**
 * Kill every process in these cgroups (cgroup.kill where the kernel has it, otherwise SIGKILL to each, repeated
 * while a fork bomb refills them) until none is left or `timeoutMs` has passed. Never throws; returns whether
 * they are empty.
 */
export async function emptyCgroups(dirs: string[], timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const present = dirs.filter((dir) => fs.existsSync(dir));
    if (processesIn(present).length === 0) return true;
    if (Date.now() > deadline) return false;
    killRound(present);
    await pause(round);
  }
}

/** Empty these cgroups (see emptyCgroups) and remove them. Never throws; returns whether all are gone. */
export async function removeCgroups(dirs: string[], timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let left = dirs.filter((dir) => fs.existsSync(dir));
  for (let round = 0; left.length > 0; round++) {
    killRound(left);
    const still: string[] = [];
    for (const dir of left) {
      try {
        if (processesIn([dir]).length === 0) await fsp.rmdir(dir);
        else still.push(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') still.push(dir);
      }
    }
    left = still;
    if (left.length === 0) return true;
    if (Date.now() > deadline) return false;
    await pause(round);
  }
  return true;
}

/** Whether `dir` is a lab cgroup this host's kind makes: inside a cgroup filesystem, named for a lab. */
export function isLabCgroupDir(dir: string): boolean {
  const name = path.basename(dir);
  if (!path.isAbsolute(dir) || !new RegExp(`^${CGROUP_PREFIX}lab-[\\w-]+$`).test(name)) return false;
  const mounts = parseCgroupMounts(read('/proc/self/mountinfo') ?? '');
  return mounts.some((mount) => dir.startsWith(mount.mountPoint + '/'));
}
