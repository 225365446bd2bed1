/**
 * Slots give each running lab things no other lab on this machine holds at the same time: a number, a range of
 * loopback ports (for labs that share the host's network) and, when the host runs as root, a user id of its own.
 * A slot is a lock file naming the host process that holds it, so several hosts on one machine never hand out the
 * same slot, and a host that crashed leaves locks that the next start recognises as stale and clears.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { killQuietly, listProcesses, readProcess, stillRunning } from './proc-scan.ts';

export const PORTS_PER_SLOT = 24;
export const FIRST_SLOT_PORT = 42000;
export const FIRST_SLOT_UID = 420000;
/** (65535 - 42000) / 24: the slots whose port ranges fit below 65536. */
export const SLOT_COUNT = 980;

export interface LabSlot {
  index: number;
  /** First and last port of the lab's range, inclusive. */
  ports: [number, number];
  /** The user id the lab runs as, when the host can switch users. */
  uid: number | undefined;
  release(): Promise<void>;
}

interface SlotOwner {
  pid: number;
  startTicks: number | undefined;
  labId?: string;
}

/** This host process, as written into the locks it takes. */
function me(): SlotOwner {
  return { pid: process.pid, startTicks: readProcess(process.pid)?.startTicks };
}

export function ownerAlive(owner: SlotOwner): boolean {
  return owner.pid === process.pid || stillRunning(owner.pid, owner.startTicks);
}

/**
 * Kill every process running as this uid (a lab's uid is never shared with anything else). Repeats until none is
 * left, since a process that forks in a loop can make new ones while the first are being killed.
 */
export async function killUid(uid: number): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 50; round++) {
    const victims = listProcesses().filter((info) => info.uid === uid);
    if (victims.length === 0) break;
    for (const victim of victims) killQuietly(victim.pid);
    killed += victims.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return killed;
}

/**
 * Where slot locks live. Hosts that switch users share one folder for the whole machine, whatever LAB_ROOT each
 * uses, since uids are a machine-wide resource; other hosts keep them under their LAB_ROOT.
 */
export function slotsDir(labRoot: string, switchUsers: boolean): string {
  if (!switchUsers) return path.join(labRoot, 'slots');
  return existsSync('/run') ? '/run/stateless-lab/slots' : path.join(os.tmpdir(), 'stateless-lab-slots');
}

export class SlotPool {
  private readonly dir: string;
  private readonly switchUsers: boolean;
  private owner: SlotOwner | undefined;

  constructor(labRoot: string, { switchUsers }: { switchUsers: boolean }) {
    this.dir = slotsDir(labRoot, switchUsers);
    this.switchUsers = switchUsers;
  }

  slotFor(index: number, release: () => Promise<void>): LabSlot {
    const first = FIRST_SLOT_PORT + index * PORTS_PER_SLOT;
    return { index, ports: [first, first + PORTS_PER_SLOT - 1], uid: this.switchUsers ? FIRST_SLOT_UID + index : undefined, release };
  }

  async acquire(labId: string): Promise<LabSlot> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.owner ??= me();
    const owner = JSON.stringify({ ...this.owner, labId } satisfies SlotOwner);
    for (let index = 0; index < SLOT_COUNT; index++) {
      const lock = path.join(this.dir, `${index}.lock`);
      try {
        await fs.writeFile(lock, owner, { flag: 'wx' });
      } catch {
        if (!(await this.reclaimIfStale(index, lock))) continue;
        try {
          await fs.writeFile(lock, owner, { flag: 'wx' });
        } catch {
          continue; // another host took it first
        }
      }
      return this.slotFor(index, async () => {
        if (this.switchUsers) await killUid(FIRST_SLOT_UID + index);
        await fs.rm(lock, { force: true });
      });
    }
    throw new Error('every lab slot on this machine is taken');
  }

  /** A lock whose host has died: kill what may be left of its lab and free the slot. */
  private async reclaimIfStale(index: number, lock: string): Promise<boolean> {
    let holder: SlotOwner;
    try {
      holder = JSON.parse(await fs.readFile(lock, 'utf8')) as SlotOwner;
    } catch {
      return false; // being written right now, or unreadable: leave it
    }
    if (ownerAlive(holder)) return false;
    if (this.switchUsers) await killUid(FIRST_SLOT_UID + index);
    await fs.rm(lock, { force: true });
    return true;
  }

  /** Clear every stale lock at start-up, so a crashed host's labs stop now rather than when a slot is reused. */
  async reapStale(): Promise<number> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch {
      return 0;
    }
    let reaped = 0;
    for (const entry of entries) {
      const match = /^(\d+)\.lock$/.exec(entry);
      if (match && (await this.reclaimIfStale(Number(match[1]), path.join(this.dir, entry)))) reaped++;
    }
    return reaped;
  }
}
