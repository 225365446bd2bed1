/**
 * Reading lab events and host messages in the browser, which never loads zod (its schemas would add ~90 KB to the
 * page). The page reads only what a side it trusts has written: the lab host, which checked every event against
 * the schema in lab-events.ts before relaying it, or the supervisor in the learner's own sandbox. So these check
 * the envelope (an object of a known kind) and leave the fields to that side's contract.
 */
import type { LabEvent, LabEventType } from './lab-events.ts';
import type { HostMessage } from './host-messages.ts';

const EVENT_TYPES = [
  'hello', 'process', 'log', 'deploy', 'ready', 'redis', 'request', 'user', 'checks-start', 'check', 'checks',
  'traffic', 'status', 'error', 'reply', 'exit', 'tunnel',
] as const;
const HOST_OPS = ['opened', 'event', 'reply', 'error', 'limit', 'closed', 'heartbeat'] as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameEvents: Same<LabEventType, (typeof EVENT_TYPES)[number]> = true;
const sameOps: Same<HostMessage['op'], (typeof HOST_OPS)[number]> = true;
void sameEvents;
void sameOps;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const oneOf = <T extends string>(list: readonly T[], value: unknown): value is T => typeof value === 'string' && (list as readonly string[]).includes(value);

/** A supervisor event: an object with a known `type` and a numeric time `t`. */
export function isLabEvent(value: unknown): value is LabEvent {
  return isRecord(value) && oneOf(EVENT_TYPES, value.type) && typeof value.t === 'number';
}

/** A line of supervisor output as an event, or undefined when it is not one (echoed input, stray text). */
export function readLabEvent(line: string): LabEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isLabEvent(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isHostMessage(value: unknown): value is HostMessage {
  if (!isRecord(value) || !oneOf(HOST_OPS, value.op)) return false;
  return value.op !== 'event' || isLabEvent(value.event);
}

/** A frame from the lab host, or undefined when it is not one of its messages. */
export function readHostMessage(raw: string): HostMessage | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return isHostMessage(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
