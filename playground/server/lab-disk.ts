/**
 * A disk of its own for each lab's `app/` folder: a tmpfs of `diskMb` and about `files` inodes, owned by the lab's
 * user, so the kernel refuses writes past the quota (ENOSPC) whatever the lab's code does. Its pages count in the
 * lab's memory cgroup. Mounting needs root (CAP_SYS_ADMIN); a host that cannot mount relies on the watchdog,
 * which sums the folder's file sizes and ends a lab past the quota.
 *
 * Mounts live in the host's mount namespace under LAB_ROOT; the sandbox sees them through its bind of the lab
 * folder. Tear-down unmounts once the lab's processes are gone; a host starting after a crash unmounts what a
 * dead host left (see `reapStaleLabResources` in hosted-lab.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LabLimits } from './host-config.ts';
import { unescapeMountPath } from './lab-cgroup.ts';

const run = promisify(execFile);

export interface DiskSupport {
  available: boolean;
  /** Why not, when not. */
  reason?: string;
}

/** Inodes beyond `files`: the watchdog's "files per lab" (which counts the whole lab folder) must come first. */
export function diskInodes(limits: LabLimits): number {
  return limits.files + Math.max(64, Math.ceil(limits.files / 10));
}

export function diskBytes(limits: LabLimits): number {
  return Math.round(limits.diskMb * 1024 * 1024);
}

function mountOptions(bytes: number, inodes: number, uid: number | undefined): string {
  const owner = uid === undefined ? 'mode=0755' : `mode=0700,uid=${uid},gid=${uid}`;
  return `size=${bytes},nr_inodes=${inodes},${owner},nosuid,nodev`;
}

let support: DiskSupport | undefined;

/** Whether this host can give labs a disk of their own: tries a small tmpfs once. */
export function diskSupport(): DiskSupport {
  support ??= probe();
  return support;
}

function probe(): DiskSupport {
  if (process.platform !== 'linux') return { available: false, reason: 'not Linux' };
  if (process.getuid?.() !== 0) return { available: false, reason: 'the host is not root' };
  let trial: string;
  try {
    trial = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-disk-probe-'));
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', mountOptions(1024 * 1024, 16, undefined), 'tmpfs', trial], { encoding: 'utf8', timeout: 10_000 });
    if (mounted.status !== 0) return { available: false, reason: `mount failed: ${(mounted.stderr || mounted.error?.message || '').trim()}` };
    spawnSync('umount', [trial], { timeout: 10_000 });
    return { available: true };
  } finally {
    try {
      fs.rmdirSync(trial);
    } catch {
      spawnSync('umount', ['-l', trial], { timeout: 10_000 });
      fs.rmSync(trial, { recursive: true, force: true });
    }
  }
}

export function describeDisk(disk: DiskSupport, limits: LabLimits): string {
  return disk.available ? `own ${limits.diskMb} MB disk per lab (tmpfs)` : `no disk of its own per lab (${disk.reason}), so the watchdog sums each lab's files against ${limits.diskMb} MB`;
}

/** Mount points in this mount namespace (from /proc/self/mountinfo). */
export function mountPoints(): string[] {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => Boolean(field))
    .map(unescapeMountPath);
}

export function isMountPoint(dir: string): boolean {
  return mountPoints().includes(dir);
}

/** Mount the lab's own disk on its (still empty) app folder. Throws when the kernel refuses. */
export async function mountLabDisk(appDir: string, limits: LabLimits, uid: number | undefined): Promise<void> {
  const target = await fsp.realpath(appDir);
  await run('mount', ['-t', 'tmpfs', '-o', mountOptions(diskBytes(limits), diskInodes(limits), uid), 'tmpfs', target], { timeout: 10_000 });
}

/**
 * Unmount a lab's disk (every mount stacked on the folder). Call once the lab's processes are gone; a mount still
 * busy after a few tries is detached lazily, so it disappears from the folder at once. Never throws; returns
 * whether the folder is no longer a mount point.
 */
export async function unmountLabDisk(appDir: string): Promise<boolean> {
  let target: string;
  try {
    target = await fsp.realpath(appDir);
  } catch {
    return !isMountPoint(path.resolve(appDir));
  }
  for (let attempt = 0; attempt < 40 && isMountPoint(target); attempt++) {
    const lazy = attempt >= 20;
    try {
      await run('umount', lazy ? ['-l', target] : [target], { timeout: 10_000 });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return !isMountPoint(target);
}
