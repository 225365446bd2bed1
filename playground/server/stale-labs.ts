/**
 * Start-up clean-up after a crash: lab folders whose host process is gone are removed, and any process still
 * carrying their LAB_ID is killed. Folders of hosts that are still running (another host on this machine) are
 * left alone.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { killQuietly, pidsOfLabs, readProcess } from './proc-scan.ts';
import { ownerAlive } from './lab-slots.ts';

export const OWNER_FILE = 'owner.json';

let ownStartTicks: number | undefined;

/** Mark a lab folder as belonging to this process (pid and start time, so a reused pid is not mistaken for it). */
export async function writeOwner(labDir: string): Promise<void> {
  ownStartTicks ??= readProcess(process.pid)?.startTicks;
  await fs.writeFile(path.join(labDir, OWNER_FILE), JSON.stringify({ pid: process.pid, startTicks: ownStartTicks }));
}

export async function reapStaleLabDirs(labRoot: string): Promise<{ dirs: number; processes: number }> {
  let entries: string[];
  try {
    entries = await fs.readdir(labRoot);
  } catch {
    return { dirs: 0, processes: 0 };
  }
  const stale = new Set<string>();
  for (const entry of entries.filter((name) => name.startsWith('lab-'))) {
    const dir = path.join(labRoot, entry);
    let owner: { pid: number; startTicks?: number } | undefined;
    try {
      owner = JSON.parse(await fs.readFile(path.join(dir, OWNER_FILE), 'utf8')) as { pid: number; startTicks?: number };
    } catch {
      owner = undefined; // made by a CLI run or torn down half-way; judged by age below
    }
    if (owner ? !ownerAlive({ pid: owner.pid, startTicks: owner.startTicks }) : await olderThan(dir, 60 * 60 * 1000)) stale.add(entry);
  }
  if (stale.size === 0) return { dirs: 0, processes: 0 };

  const leftovers = pidsOfLabs(stale);
  for (const pid of leftovers) killQuietly(pid);
  const processes = leftovers.length;
  for (const entry of stale) await fs.rm(path.join(labRoot, entry), { recursive: true, force: true });
  return { dirs: stale.size, processes };
}

async function olderThan(dir: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(dir)).mtimeMs > ms;
  } catch {
    return false;
  }
}
