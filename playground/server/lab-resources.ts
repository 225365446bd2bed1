/**
 * What the kernel holds a lab to beyond its sandbox: a cgroup of its own (CPU, memory, tasks) and a disk of its own
 * for app/, where the host can make them. Each is recorded in LAB_ROOT/resources/ before it is made, so a host
 * starting after a crash can remove what a dead host left.
 */
import { statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LabLimits } from './host-config.ts';
import { CGROUP_PREFIX, cgroupSupport, describeCgroups, emptyCgroups, isLabCgroupDir, LabCgroup, labCgroupDirs, removeCgroups } from './lab-cgroup.ts';
import { describeDisk, diskSupport, mountLabDisk, mountPoints, unmountLabDisk } from './lab-disk.ts';
import { killUid, ownerAlive } from './lab-slots.ts';
import { readProcess } from './proc-scan.ts';
import { readSmallFile } from './stale-labs.ts';

/**
 * LAB_ROOT/resources/<labId>.json: which cgroups and mount a lab has and which host process made them, written
 * before they are made and removed once they are gone, so a host starting after a crash can remove them. Only the
 * host can write there.
 */
const RESOURCES_DIR = 'resources';
/** An empty lab cgroup without a record this old is left over, whichever host made it. */
const ORPHAN_CGROUP_AGE_MS = 10 * 60 * 1000;

interface ResourceRecord {
  pid: number;
  startTicks: number | undefined;
  cgroups: string[];
  /** The lab's app folder with its own disk mounted. */
  mount?: string;
}

let ownStartTicks: number | undefined;

/** A sentence on the kernel's limits per lab on this host, for the start-up line (the first call probes). */
export function describeKernelLimits(limits: LabLimits): string {
  return `${describeCgroups(cgroupSupport(), limits)}; ${describeDisk(diskSupport(), limits)}`;
}

/** A lab's cgroups and disk: made before its supervisor starts, released after its processes are gone. */
export class LabResources {
  cgroup: LabCgroup | undefined;
  ownDisk = false;
  private recorded = false;
  private readonly labRoot: string;
  private readonly labId: string;
  private readonly appDir: string;

  constructor(labRoot: string, labId: string, appDir: string) {
    this.labRoot = labRoot;
    this.labId = labId;
    this.appDir = appDir;
  }

  get labDir(): string {
    return path.dirname(this.appDir);
  }

  private get recordFile(): string {
    return path.join(this.labRoot, RESOURCES_DIR, `${this.labId}.json`);
  }

  static async prepare(labRoot: string, appDir: string, limits: LabLimits, uid: number | undefined): Promise<LabResources> {
    const labId = path.basename(path.dirname(appDir));
    const resources = new LabResources(labRoot, labId, appDir);
    const cgroups = cgroupSupport();
    const disk = diskSupport();
    if (cgroups.hierarchies.length === 0 && !disk.available) return resources;
    try {
      await resources.writeRecord({ cgroups: labCgroupDirs(cgroups, labId), mount: disk.available ? await fs.realpath(appDir) : undefined });
      resources.cgroup = await LabCgroup.create(cgroups, labId, limits);
      if (disk.available) {
        await mountLabDisk(appDir, limits, uid);
        resources.ownDisk = true;
      }
    } catch (error) {
      await resources.release(uid);
      throw new Error(`could not give the lab its kernel limits: ${(error as Error).message}`);
    }
    return resources;
  }

  private async writeRecord(parts: Pick<ResourceRecord, 'cgroups' | 'mount'>): Promise<void> {
    ownStartTicks ??= readProcess(process.pid)?.startTicks;
    const record: ResourceRecord = { pid: process.pid, startTicks: ownStartTicks, ...parts };
    await fs.mkdir(path.join(this.labRoot, RESOURCES_DIR), { recursive: true, mode: 0o700 });
    const partial = `${this.recordFile}.partial`;
    await fs.writeFile(partial, JSON.stringify(record), { mode: 0o600 });
    await fs.rename(partial, this.recordFile);
    this.recorded = true;
  }

  /**
   * Once the supervisor is gone: kill whatever is left in the cgroups (or running as the lab's user), unmount the
   * disk, remove the cgroups. Never throws; the record stays when something could not be removed, for the next
   * start to retry.
   */
  async release(uid: number | undefined): Promise<void> {
    try {
      if (this.cgroup) await this.cgroup.killAll();
      if (uid !== undefined) await killUid(uid);
      const unmounted = this.ownDisk ? await unmountLabDisk(this.appDir) : true;
      const removed = this.cgroup ? await this.cgroup.remove() : true;
      if (unmounted && removed && this.recorded) await fs.rm(this.recordFile, { force: true });
    } catch {
      // left for the next host's start-up (reapStaleLabResources)
    }
  }
}

function parseRecord(text: string | undefined): ResourceRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<ResourceRecord>;
    if (!Number.isInteger(record.pid) || !Array.isArray(record.cgroups)) return undefined;
    return {
      pid: record.pid!,
      startTicks: typeof record.startTicks === 'number' ? record.startTicks : undefined,
      cgroups: record.cgroups.filter((dir): dir is string => typeof dir === 'string'),
      mount: typeof record.mount === 'string' ? record.mount : undefined,
    };
  } catch {
    return undefined;
  }
}

/**
 * Start-up clean-up after a crash: unmount the disks and remove the cgroups (killing what runs in them) that hosts
 * no longer running left for their labs under `labRoot`. Labs of hosts still running are left alone. Call it
 * before the stale lab folders are removed (a folder with a disk mounted in it cannot be). Never throws.
 */
export async function reapStaleLabResources(labRoot: string): Promise<{ cgroups: number; mounts: number }> {
  const reaped = { cgroups: 0, mounts: 0 };
  const root = await fs.realpath(labRoot).catch(() => path.resolve(labRoot));
  const recordsDir = path.join(root, RESOURCES_DIR);
  const live = new Set<string>();
  let entries: string[] = [];
  try {
    entries = await fs.readdir(recordsDir);
  } catch {
    entries = [];
  }
  for (const entry of entries) {
    const match = /^(lab-[\w-]+)\.json(\.partial)?$/.exec(entry);
    if (!match) continue;
    const labId = match[1]!;
    const file = path.join(recordsDir, entry);
    const record = parseRecord(await readSmallFile(file));
    if (record && ownerAlive({ pid: record.pid, startTicks: record.startTicks })) {
      live.add(labId);
      continue;
    }
    if (!record) {
      // Half-written by a host that died while writing it (a live host renames it at once): nothing was made yet.
      if (match[2]) await fs.rm(file, { force: true }).catch(() => undefined);
      continue;
    }
    try {
      const cgroups = record.cgroups.filter(isLabCgroupDir);
      await emptyCgroups(cgroups);
      const mount = record.mount && record.mount === path.join(root, labId, 'app') ? record.mount : undefined;
      const mounted = mount !== undefined && mountPoints().includes(mount);
      const unmounted = mounted ? await unmountLabDisk(mount) : true;
      if (mounted && unmounted) reaped.mounts++;
      const present = cgroups.filter((dir) => fsExists(dir));
      const removed = await removeCgroups(present);
      if (removed) reaped.cgroups += present.length;
      if (unmounted && removed) await fs.rm(file, { force: true });
    } catch {
      // tried again at the next start
    }
  }
  // A disk mounted for a lab whose record is gone (or never written) is this kind of host's too: no live host
  // mounts without a record first.
  for (const mount of mountPoints()) {
    const match = new RegExp(`^${escapeRegExp(root)}/(lab-[\\w-]+)/app$`).exec(mount);
    if (!match || live.has(match[1]!)) continue;
    if (await unmountLabDisk(mount)) reaped.mounts++;
  }
  // Cgroups whose record was lost (LAB_ROOT removed while the host was down): empty and old means no host uses
  // them; a live lab's cgroup is empty only for the moments before its supervisor enters it and after it ends.
  for (const hierarchy of cgroupSupport().hierarchies) {
    let names: string[] = [];
    try {
      names = await fs.readdir(hierarchy.parent);
    } catch {
      names = [];
    }
    for (const name of names) {
      const match = new RegExp(`^${escapeRegExp(CGROUP_PREFIX)}(lab-[\\w-]+)$`).exec(name);
      if (!match || live.has(match[1]!)) continue;
      const dir = path.join(hierarchy.parent, name);
      try {
        const stat = await fs.stat(dir);
        if (Date.now() - stat.ctimeMs < ORPHAN_CGROUP_AGE_MS || (await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8')).trim() !== '') continue;
        await fs.rmdir(dir);
        reaped.cgroups++;
      } catch {
        // in use after all, or already gone
      }
    }
  }
  return reaped;
}

function fsExists(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
