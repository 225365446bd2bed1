/**
 * One lab as the lab host runs it: a slot of its own, the supervisor inside the sandbox the host chose, in a
 * cgroup of its own with a disk of its own where the host can make them, the watchdog enforcing limits, and a
 * tear-down that leaves nothing behind (no process, cgroup, mount or folder).
 */
import path from 'node:path';
import type { LabLimits } from './host-config.ts';
import type { LabEvent } from '../protocol/lab-events.ts';
import { LabProcess, removeLabDir } from './lab-process.ts';
import { LabResources } from './lab-resources.ts';
import { labBaseEnv, sandboxCommand, type IsolationChoice } from './lab-sandbox.ts';
import type { SlotPool } from './lab-slots.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { LabWatchdog, LimitHit } from './lab-watchdog.ts';
import { killQuietly, pidsOfLabs } from './proc-scan.ts';
import { removeOwner } from './stale-labs.ts';


export interface HostedLabContext {
  isolation: IsolationChoice;
  limits: LabLimits;
  slots: SlotPool;
  watchdog: LabWatchdog;
  labRoot: string;
  /** The execute-only Node supervisors run on and the seccomp program's file (sealed-node.ts), when the host uses them. */
  sealed?: Promise<SealedRuntime>;
}

export interface SealedRuntime {
  node?: string;
  policy?: string;
}

export interface HostedLab {
  lab: LabProcess;
  /** Stop the lab and make sure none of its processes outlive it. */
  destroy(): Promise<void>;
}

export async function openHostedLab(context: HostedLabContext, files: LabFile[], checksSource: string, onLimit: (hit: LimitHit) => void): Promise<HostedLab> {
  const { isolation, limits, slots, watchdog } = context;
  const sealed = (await context.sealed) ?? {};
  const slot = await slots.acquire('opening');
  let resources: LabResources | undefined;
  let lab: LabProcess;
  try {
    lab = await LabProcess.create({
      files,
      checksSource,
      root: context.labRoot,
      launch: {
        uid: slot.uid,
        node: sealed.node,
        prepareApp: async (appDir) => {
          resources = await LabResources.prepare(context.labRoot, appDir, limits, slot.uid);
        },
        wrap: (dir, command) => sandboxCommand(isolation, slot, limits, dir, command, resources?.cgroup?.enterCommand() ?? [], sealed.policy),
        baseEnv: labBaseEnv,
      },
    });
  } catch (error) {
    // LabProcess.create removed what it could; a mounted app/ could not go before it is unmounted.
    const made = resources as LabResources | undefined;
    if (made) {
      await made.release(slot.uid);
      await removeLabDir(made.labDir);
    }
    await slot.release();
    throw error;
  }

  // The supervisor reports pids as its sandbox sees them; the watchdog names processes with this map.
  const names = new Map<number, string>();
  lab.on('event', (event: LabEvent) => {
    if (event.type === 'process' && event.role !== 'balancer' && typeof event.pid === 'number') names.set(event.pid, event.name === 'redis' ? 'Redis' : `instance ${event.name}`);
  });
  const made = resources as LabResources | undefined;
  const unwatch = lab.pid
    ? watchdog.watch({ id: lab.id, rootPid: lab.pid, uid: slot.uid, dir: lab.dir, nameOf: (pid) => names.get(pid), onLimit, cgroup: made?.cgroup, ownDisk: made?.ownDisk })
    : () => undefined;

  let destroyed: Promise<void> | undefined;
  return {
    lab,
    destroy() {
      destroyed ??= (async () => {
        unwatch();
        try {
          await lab.destroy({ keepDir: true });
        } catch {
          // tear-down goes on: the cgroup and the lab's user are killed below
        }
        // A child that left the supervisor's process group still carries the lab's LAB_ID.
        if (slot.uid === undefined) for (const pid of pidsOfLabs(new Set([lab.id]))) killQuietly(pid);
        await made?.release(slot.uid);
        await removeLabDir(lab.dir);
        await removeOwner(path.dirname(lab.dir), lab.id);
        await slot.release();
      })();
      return destroyed;
    },
  };
}
