/**
 * One lab as the lab host runs it: a slot of its own, the supervisor inside the sandbox the host chose, the
 * watchdog enforcing limits, and a tear-down that leaves nothing behind.
 */
import type { LabLimits } from './host-config.ts';
import { LabProcess, type LabEvent } from './lab-process.ts';
import { labBaseEnv, sandboxCommand, type IsolationChoice } from './lab-sandbox.ts';
import type { SlotPool } from './lab-slots.ts';
import type { LabFile } from './lessons.ts';
import type { LabWatchdog, LimitHit } from './lab-watchdog.ts';
import { killQuietly, pidsOfLabs } from './proc-scan.ts';

export interface HostedLabContext {
  isolation: IsolationChoice;
  limits: LabLimits;
  slots: SlotPool;
  watchdog: LabWatchdog;
  labRoot: string;
}

export interface HostedLab {
  lab: LabProcess;
  /** Stop the lab and make sure none of its processes outlive it. */
  destroy(): Promise<void>;
}

export async function openHostedLab(context: HostedLabContext, files: LabFile[], checksSource: string, onLimit: (hit: LimitHit) => void): Promise<HostedLab> {
  const { isolation, limits, slots, watchdog } = context;
  const slot = await slots.acquire('opening');
  let lab: LabProcess;
  try {
    lab = await LabProcess.create({
      files,
      checksSource,
      root: context.labRoot,
      launch: {
        uid: slot.uid,
        wrap: (dir, command) => sandboxCommand(isolation, slot, limits, dir, command),
        baseEnv: labBaseEnv,
      },
    });
  } catch (error) {
    await slot.release();
    throw error;
  }

  // The supervisor reports pids as its sandbox sees them; the watchdog names processes with this map.
  const names = new Map<number, string>();
  lab.on('event', (event: LabEvent) => {
    if (event.type === 'process' && typeof event.pid === 'number' && typeof event.name === 'string') names.set(event.pid, event.name === 'redis' ? 'Redis' : `instance ${event.name}`);
  });
  const unwatch = lab.pid
    ? watchdog.watch({ id: lab.id, rootPid: lab.pid, uid: slot.uid, dir: lab.dir, nameOf: (pid) => names.get(pid), onLimit })
    : () => undefined;

  let destroyed: Promise<void> | undefined;
  return {
    lab,
    destroy() {
      destroyed ??= (async () => {
        unwatch();
        await lab.destroy();
        // A child that left the supervisor's process group still carries the lab's LAB_ID.
        if (slot.uid === undefined) for (const pid of pidsOfLabs(new Set([lab.id]))) killQuietly(pid);
        await slot.release();
      })();
      return destroyed;
    },
  };
}
