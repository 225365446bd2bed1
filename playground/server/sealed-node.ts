/**
 * The Node binary lab supervisors run on: a copy of this one that nobody may read, only execute. Linux marks a
 * process that runs a program it cannot read as not dumpable, and then no process without privileges over the
 * host's namespace may trace it, read or write its memory (/proc/<pid>/mem), or take its file descriptors. That
 * keeps learner code, which runs as the same user as its supervisor, away from the supervisor's channel to the
 * host and from the checks it runs.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { seccompProgram } from './seccomp-policy.ts';
import { randomUUID } from 'node:crypto';

export const SEALED_DIR = 'runtime';
const EXECUTE_ONLY = 0o111;

let sealing: Map<string, Promise<string>> | undefined;

async function isSealedCopy(file: string, size: number): Promise<boolean> {
  try {
    const stat = await fs.lstat(file);
    return stat.isFile() && stat.uid === process.getuid?.() && (stat.mode & 0o7777) === EXECUTE_ONLY && stat.size === size;
  } catch {
    return false;
  }
}

/** The sealed copy of this Node under `labRoot`, made once per host process (about 100 MB, a copy of Node). */
export function sealedNode(labRoot: string): Promise<string> {
  sealing ??= new Map();
  let made = sealing.get(labRoot);
  if (!made) {
    made = seal(labRoot);
    made.catch(() => sealing?.delete(labRoot));
    sealing.set(labRoot, made);
  }
  return made;
}

/** LAB_ROOT/runtime, made by this host's user and writable by nobody else. */
async function runtimeDir(labRoot: string): Promise<string> {
  const dir = path.join(labRoot, SEALED_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o711 });
  const folder = await fs.lstat(dir);
  if (!folder.isDirectory() || folder.uid !== process.getuid?.()) throw new Error(`${dir} is not a folder of this host's own; remove it and start again`);
  await fs.chmod(dir, 0o711);
  return dir;
}

/**
 * The seccomp program for bwrap (`--seccomp FD`) as a read-only file under LAB_ROOT/runtime, or undefined where
 * there is no policy for this architecture.
 */
export async function sealedPolicy(labRoot: string): Promise<string | undefined> {
  const program = seccompProgram();
  if (!program) return undefined;
  const file = path.join(await runtimeDir(labRoot), `seccomp-${process.arch}.bpf`);
  // Written beside and renamed over, so a host starting next to a running one never shows it a half-written file.
  // Unique per call, not only per process: two hosts in one process (tests) seal at the same moment.
  const partial = `${file}.${process.pid}.${randomUUID()}.partial`;
  await fs.rm(partial, { force: true });
  await fs.writeFile(partial, program, { mode: 0o444, flag: 'wx' });
  await fs.rename(partial, file);
  return file;
}

async function seal(labRoot: string): Promise<string> {
  const source = await fs.stat(process.execPath);
  const dir = await runtimeDir(labRoot);
  const target = path.join(dir, `node-${process.version}-${source.size}-${Math.floor(source.mtimeMs)}`);
  if (await isSealedCopy(target, source.size)) return target;
  const partial = `${target}.${process.pid}.${randomUUID()}.partial`;
  await fs.rm(partial, { force: true });
  await fs.copyFile(process.execPath, partial, constants.COPYFILE_EXCL);
  await fs.chmod(partial, EXECUTE_ONLY);
  await fs.rename(partial, target);
  return target;
}
