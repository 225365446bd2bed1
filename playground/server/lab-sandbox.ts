/**
 * How a lab's supervisor is started so that learner code stays inside its lab:
 *
 * - `namespaces` (Linux with bubblewrap): the lab gets its own user, mount, pid and network namespaces. It sees
 *   only the system's programs and libraries, Node, the lab engine and packages (all read-only) and its own
 *   folder; its network is a private loopback, so its ports never meet another lab's and it cannot reach out.
 * - `ports` (anywhere else): the lab shares the host's network and files; each lab gets its own range of loopback
 *   ports so labs never collide.
 *
 * In both modes kernel limits back up the watchdog (file size, data segment, core dumps) and, when the host runs
 * as root, the lab runs as a user id of its own so that a process limit can be enforced by the kernel.
 */
import { spawnSync } from 'node:child_process';
import fs, { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IsolationSetting, LabLimits } from './host-config.ts';
import type { LabSlot } from './lab-slots.ts';
import { SEALED_DIR } from './sealed-node.ts';

export type IsolationMode = 'namespaces' | 'ports';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the lab engine needs from the project, mounted read-only at the same paths. */
const PROJECT_PARTS = ['package.json', 'playground/lab', 'node_modules'];
const SYSTEM_PARTS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const SYSTEM_FILES = ['/etc/hosts', '/etc/nsswitch.conf', '/etc/passwd', '/etc/group', '/etc/localtime', '/etc/ssl'];
/** Size of the private /tmp and /dev/shm each lab gets in namespaces mode; everything else but app/ is read-only. */
const TMP_BYTES = 64 * 1024 * 1024;
const SHM_BYTES = 16 * 1024 * 1024;
/**
 * Kernel task limit per lab uid. Threads count as tasks and each Node process runs about a dozen, so this is a
 * backstop against fork bombs; the watchdog enforces the friendlier per-lab process count.
 */
const TASKS_PER_PROCESS = 24;

function works(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

export interface IsolationChoice {
  mode: IsolationMode;
  /** A sentence for the start-up line and the health endpoint. */
  description: string;
  switchUsers: boolean;
  prlimit: boolean;
}

/** Decide once, at start-up, how labs are isolated on this machine. */
export function chooseIsolation(setting: IsolationSetting): IsolationChoice {
  const linux = process.platform === 'linux';
  const switchUsers = linux && process.getuid?.() === 0 && works('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'true']);
  const prlimit = linux && works('prlimit', ['--core=0', 'true']);
  const bwrapWorks = linux && setting !== 'ports' && works('bwrap', [...bwrapArgs(undefined), 'true']);
  if (setting === 'namespaces' && !bwrapWorks) {
    throw new Error('LAB_ISOLATION=namespaces needs bubblewrap (`bwrap`) and user namespaces; install it (Debian: apt-get install bubblewrap) or set LAB_ISOLATION=ports.');
  }
  const mode: IsolationMode = bwrapWorks ? 'namespaces' : 'ports';
  const users = switchUsers ? ', each as its own user' : '';
  const description =
    mode === 'namespaces'
      ? `isolated labs: bubblewrap namespaces (own network, files and processes per lab${users})`
      : `shared-network labs: each lab has its own folder and port range${users}; install bubblewrap for full isolation`;
  return { mode, description, switchUsers, prlimit };
}

function mountIfPresent(flag: string, source: string, target = source): string[] {
  return fs.existsSync(source) ? [flag, source, target] : [];
}

function systemMounts(): string[] {
  const args: string[] = [];
  for (const part of SYSTEM_PARTS) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(part);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(part), part);
    else args.push('--ro-bind', part, part);
  }
  for (const file of SYSTEM_FILES) args.push(...mountIfPresent('--ro-bind-try', file));
  return args;
}

function bwrapArgs(labDir: string | undefined): string[] {
  const nodeHome = path.dirname(path.dirname(process.execPath));
  const args = ['--unshare-all', '--unshare-user', '--die-with-parent', '--new-session', '--disable-userns', ...systemMounts()];
  // The private /tmp comes before the binds: the project or the lab folder may themselves live under /tmp, and a
  // later tmpfs would hide them.
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(SHM_BYTES), '--tmpfs', '/dev/shm', '--size', String(TMP_BYTES), '--tmpfs', '/tmp');
  if (!nodeHome.startsWith('/usr')) args.push('--ro-bind', nodeHome, nodeHome);
  for (const part of PROJECT_PARTS) args.push(...mountIfPresent('--ro-bind', path.join(PROJECT_ROOT, part)));
  if (labDir) {
    // The lab sees its folder read-only (the checks, the packages link) and only app/ writable.
    args.push(...mountIfPresent('--ro-bind', path.join(path.dirname(labDir), SEALED_DIR)));
    args.push('--ro-bind', labDir, labDir, '--bind', path.join(labDir, 'app'), path.join(labDir, 'app'), '--chdir', labDir);
  }
  // bwrap's own root and /dev are size-less tmpfs: nothing may be written there.
  args.push('--remount-ro', '/dev', '--remount-ro', '/');
  return args;
}

export interface SandboxedCommand {
  file: string;
  args: string[];
  /** Extra environment for the supervisor. */
  env: Record<string, string>;
  /** Descriptors the command reads at start, passed as fds 3, 4… (the seccomp program). */
  fds?: number[];
}

/**
 * The command line that starts `command` (the supervisor) inside a lab's sandbox. `enter` comes first, before
 * anything else runs: the prefix that moves the process into the lab's cgroups (LabCgroup.enterCommand).
 */
export function sandboxCommand(choice: IsolationChoice, slot: LabSlot, limits: LabLimits, labDir: string, command: string[], enter: string[] = [], policy?: string): SandboxedCommand {
  const prefix: string[] = [...enter];
  const fds: number[] = [];
  if (choice.prlimit) {
    prefix.push('prlimit', `--fsize=${Math.round(limits.fileMb * 1024 * 1024)}`, `--data=${Math.round(limits.memoryMbPerProcess * 2 * 1024 * 1024)}`, '--core=0');
    if (slot.uid !== undefined) prefix.push(`--nproc=${limits.processesPerLab * TASKS_PER_PROCESS}`);
    prefix.push('--');
  }
  if (slot.uid !== undefined) prefix.push('setpriv', '--reuid', String(slot.uid), '--regid', String(slot.uid), '--clear-groups', '--');
  if (choice.mode === 'namespaces') {
    if (policy) fds.push(openSync(policy, 'r'));
    prefix.push('bwrap', ...bwrapArgs(labDir), ...(policy ? ['--seccomp', '3'] : []), '--');
  } else if (slot.uid !== undefined) {
    // A sealed Node is not dumpable only when exec'd with settled credentials: straight after setpriv's switch it
    // still is (seen on Linux 6.x), so one plain exec comes between.
    prefix.push('/bin/sh', '-c', 'exec "$0" "$@"');
  }
  const env: Record<string, string> = choice.mode === 'ports' ? { LAB_PORTS: `${slot.ports[0]}-${slot.ports[1]}` } : {};
  const all = [...prefix, ...command];
  return { file: all[0]!, args: all.slice(1), env, fds };
}

/** The environment a lab starts with: nothing of the host's (it may hold secrets such as the join token). */
export function labBaseEnv(labDir: string): Record<string, string> {
  const nodeBin = path.dirname(process.execPath);
  return {
    PATH: [nodeBin, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: path.join(labDir, 'app'),
    LANG: process.env.LANG ?? 'C.UTF-8',
    TMPDIR: '/tmp',
  };
}

/**
 * Labs that run as their own user must be able to reach their folder: every folder above the lab root has to let
 * other users pass through (the root itself is made 0711 by the host).
 */
export function checkLabRoot(labRoot: string, choice: IsolationChoice): void {
  if (!choice.switchUsers) return;
  for (let folder = path.dirname(path.resolve(labRoot)); ; folder = path.dirname(folder)) {
    let mode: number | undefined;
    try {
      mode = fs.statSync(folder).mode;
    } catch {
      mode = undefined; // created later with the lab root
    }
    if (mode !== undefined && (mode & 0o001) === 0) {
      throw new Error(`LAB_ROOT=${labRoot} is inside ${folder}, which other users cannot pass through (mode ${(mode & 0o777).toString(8)}); labs run as their own users, so choose a folder such as /tmp/stateless-lab or /var/lib/stateless-lab.`);
    }
    if (folder === path.dirname(folder)) return;
  }
}
