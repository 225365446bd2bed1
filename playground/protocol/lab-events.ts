/**
 * Events from a lab supervisor, one JSON object per line on its stdout: what the page, the CLIs and the tests learn
 * about a running lab. The lab engine types what it emits from these (JSDoc `import()`), and the lab host checks
 * every line against them before relaying it: a supervisor runs beside hostile code, so its output is not trusted.
 */
import { z } from 'zod';
import { STRATEGIES } from '../lab/rules.js';

const state = z.enum(['starting', 'up', 'unhealthy', 'crashed', 'stopping', 'stopped']);
const text = z.string();
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const instanceSnapshot = z.object({
  name: text,
  generation: z.number(),
  state,
  port: maybe(z.number()),
  pid: maybe(z.number()),
  reason: maybe(text),
  exitCode: maybe(z.number()),
  lastLines: z.array(text).optional(),
  served: z.number().optional(),
});

const checkResult = z.object({
  name: text,
  status: z.enum(['pass', 'fail', 'error']),
  message: text.nullable(),
  ms: z.number(),
  seed: z.number().optional(),
  reproduce: z.object({ curl: text, instance: maybe(text) }).optional(),
});

const sessionKey = z.object({
  key: text,
  /** Seconds to live; null when the key never expires. */
  ttl: z.number().nullable(),
  /** The virtual user whose session cookie points at this key, when one does. */
  user: text.nullable(),
});

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.object({ type: z.literal(type), t: z.number(), ...shape });

export const labEvent = z.discriminatedUnion('type', [
  event('hello', { labId: text, pid: z.number(), appDir: text, node: text }),
  z.discriminatedUnion('role', [
    event('process', { role: z.literal('instance'), ...instanceSnapshot.shape }),
    event('process', { role: z.literal('redis'), name: z.literal('redis'), state, reason: maybe(text), backend: text.optional(), pid: maybe(z.number()), port: maybe(z.number()) }),
    event('process', { role: z.literal('balancer'), name: z.literal('balancer'), state, port: z.number(), strategy: z.enum(STRATEGIES), reason: maybe(text) }),
  ]),
  event('log', { name: text, stream: z.enum(['stdout', 'stderr']), text }),
  event('deploy', { phase: z.enum(['start', 'instance', 'failed', 'done', 'scaled']), instance: text.optional(), reason: text.optional() }),
  event('ready', { balancerPort: z.number(), url: text, instances: z.array(instanceSnapshot) }),
  event('redis', {
    backend: text,
    keys: z.number().nullable(),
    total: z.number(),
    connections: z.number().optional(),
    commands: z.record(text, z.number()),
    /** The newest commands, readable: a binary or long argument is shown as its size and a printable excerpt. */
    recent: z.array(text),
    /** Keys that hold a virtual user's session (a bounded sample, owners first), with their TTL in seconds (null: none). */
    sessions: z.array(sessionKey).optional(),
    /** How many keys look like sessions in all (the sample above may hold fewer). */
    sessionCount: z.number().optional(),
  }),
  event('request', {
    user: text.optional(),
    method: text,
    path: text,
    instance: text.nullable(),
    status: z.number(),
    ms: z.number(),
    /** Set when a graded check sent it: the check's name. Learner views keep such traffic apart. */
    check: text.optional(),
  }),
  event('user', {
    user: text,
    action: text,
    status: z.number(),
    instance: text.nullable(),
    loggedIn: z.boolean(),
    loggedOut: z.boolean(),
    /** Whom the app's answer named (null: nobody); the lab judges logins by it, not by the status. */
    named: maybe(text),
    /** Someone else's name where this user's was expected: a session mix-up. */
    mixup: maybe(text),
    /** A login the app did not answer 2xx. */
    refused: z.boolean().optional(),
    ms: z.number().optional(),
    error: text.optional(),
    body: text,
    /** A login that follows an unexpected logout of this user: the user had to log in again. */
    relogin: z.boolean().optional(),
    /** Set when a graded check's user acted: the check's name. */
    check: text.optional(),
  }),
  event('checks-start', { names: z.array(text), seed: z.number() }),
  event('check', checkResult.shape),
  event('checks', { version: z.number(), status: z.enum(['pass', 'fail', 'error']), message: text.nullable(), tests: z.array(checkResult), seed: z.number().optional() }),
  event('traffic', { on: z.boolean() }),
  event('status', {
    balancer: z.object({ port: z.number(), strategy: z.enum(STRATEGIES) }),
    redis: z.object({ backend: text, port: z.number() }).nullable(),
    instances: z.array(instanceSnapshot),
    settings: z.object({ instances: z.number(), strategy: z.enum(STRATEGIES), entry: text, routes: z.record(text, text) }),
  }),
  event('error', { message: text, command: text.optional() }),
  event('reply', { id: z.union([z.number(), z.string()]), ok: z.boolean(), error: text.optional() }),
  event('exit', { code: z.number() }),
  event('tunnel', { op: z.enum(['open', 'data', 'close']), conn: z.number(), data: text.optional() }),
]);

export type LabEvent = z.infer<typeof labEvent>;
export type LabEventType = LabEvent['type'];
export type LabEventOf<T extends LabEventType> = Extract<LabEvent, { type: T }>;
/** What the supervisor hands to `emit`: the time is stamped when it is written. */
export type LabEventInput = LabEvent extends infer E ? (E extends LabEvent ? Omit<E, 't'> : never) : never;
export type InstanceSnapshot = z.infer<typeof instanceSnapshot>;
export type CheckResult = z.infer<typeof checkResult>;
export type ProcessState = z.infer<typeof state>;
export type SessionKey = z.infer<typeof sessionKey>;

/** One line of supervisor output as an event, or why it is not one (a readable reason, never an exception). */
export function parseLabEvent(line: string): { ok: true; event: LabEvent } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, error: `not JSON: ${line.slice(0, 200)}` };
  }
  const parsed = labEvent.safeParse(data);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  const type = typeof data === 'object' && data !== null && 'type' in data ? String(data.type).slice(0, 32) : '?';
  return { ok: false, error: `a malformed "${type}" event (${issue ? `${issue.path.join('.') || 'event'}: ${issue.message}` : 'unknown shape'})` };
}
