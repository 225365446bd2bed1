import type { LabSettings } from '../../src/lessons/schema.ts';

/** The supervisor's start command for a lesson's lab settings. */
export function startCommand(lab: LabSettings): { type: 'start'; [key: string]: unknown } {
  return { type: 'start', instances: lab.instances, strategy: lab.strategy, entry: lab.entry, users: lab.users };
}
