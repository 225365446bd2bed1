/**
 * Start-up clean-up after a crash: lab folders whose host process is gone are removed, and any process still
 * carrying their LAB_ID is killed. Folders of hosts that are still running (another host on this machine) are
 * left alone.
 *
 * Who owns a lab folder is recorded outside it, in LAB_ROOT/owners/, which only the host can write: a lab may
 * change its own folder but must not be able to make its folder look alive, or make start-up wait on a FIFO.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { killQuietly, pidsOfLabs, readProcess } from './proc-scan.ts';
import { ownerAlive } from './lab-slots.ts';

export const OWNERS_DIR = 'owners';
const MAX_RECORD_BYTES = 4096;

let ownStartTicks: number | undefined;

const recordPath = (labRoot: string, labId: string) => path.join(labRoot, OWNERS_DIR, `${labId}.json`);

/** Mark a lab folder as belonging to this process (pid and start time, so a reused pid is not mistaken for it). */
export async function writeOwner(labRoot: string, labId: string): Promise<void> {
  ownStartTicks ??= readProcess(process.pid)?.startTicks;
  await fs.mkdir(path.join(labRoot, OWNERS_DIR), { recursive: true, mode: 0o700 });
  await fs.writeFile(recordPath(labRoot, labId), JSON.stringify({ pid: process.pid, startTicks: ownStartTicks }), { mode: 0o600 });
}

export async function removeOwner(labRoot: string, labId: string): Promise<void> {
  await fs.rm(recordPath(labRoot, labId), { force: true }).catch(() => undefined);
}

/** A small regular file's text, read without following links or waiting on a FIFO; undefined otherwise. */
export async function readSmallFile(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_RECORD_BYTES) return undefined;
    return await handle.readFile('utf8');
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

async function readOwner(labRoot: string, labId: string): Promise<{ pid: number; startTicks: number | undefined } | undefined> {
  const text = await readSmallFile(recordPath(labRoot, labId));
  if (text === undefined) return undefined;
  try {
    const owner = JSON.parse(text) as { pid?: unknown; startTicks?: unknown };
    if (!Number.isInteger(owner.pid)) return undefined;
    return { pid: owner.pid as number, startTicks: typeof owner.startTicks === 'number' ? owner.startTicks : undefined };
  } catch {
    return undefined;
  }
}

export async function reapStaleLabDirs(labRoot: string, unmount: (dir: string) => Promise<void> = async () => undefined): Promise<{ dirs: number; processes: number }> {
  let entries: string[];
  try {
    entries = await fs.readdir(labRoot);
  } catch {
    return { dirs: 0, processes: 0 };
  }
  const stale = new Set<string>();
  for (const entry of entries.filter((name) => /^lab-[\w-]+$/.test(name))) {
    const owner = await readOwner(labRoot, entry);
    // No record: made by a CLI run or torn down half-way; judged by age.
    if (owner ? !ownerAlive(owner) : await olderThan(path.join(labRoot, entry), 60 * 60 * 1000)) stale.add(entry);
  }
  if (stale.size === 0) return { dirs: 0, processes: 0 };

  const leftovers = pidsOfLabs(stale);
  for (const pid of leftovers) killQuietly(pid);
  for (const entry of stale) {
    const dir = path.join(labRoot, entry);
    await unmount(dir).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 5 }).catch(() => undefined);
    await removeOwner(labRoot, entry);
  }
  return { dirs: stale.size, processes: leftovers.length };
}

async function olderThan(dir: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fs.lstat(dir)).mtimeMs > ms;
  } catch {
    return false;
  }
}
