/**
 * The supervisor's `start` command for a lesson's lab settings, shared by the lab host, the page and the CLIs.
 */
import type { CommandOf } from './lab-commands.ts';
import type { LabSettings } from './lesson-schema.ts';

/** The supervisor's start command for a lesson's lab settings. */
export function startCommand(lab: LabSettings): CommandOf<'start'> {
  return { type: 'start', instances: lab.instances, strategy: lab.strategy, entry: lab.entry, users: lab.users };
}
