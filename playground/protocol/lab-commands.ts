/**
 * Commands to a lab supervisor, one JSON object per line on its stdin. Every side that sends one (the page, the
 * lab host, the CLIs, the tests) builds it from these schemas; the lab host validates what a browser sends with
 * them before the supervisor sees it, and the supervisor checks each field again where it uses it.
 */
import { z } from 'zod';
import { COMMAND_TYPES } from '../lab/commands.js';
import { MAX_BURST, MAX_INSTANCES, MAX_TRAFFIC_RPS, MIN_INSTANCES, STRATEGIES } from '../lab/rules.js';

const id = z.number().int().nonnegative().optional();
const name = z.string().min(1).max(32);
const path = z.string().startsWith('/').max(2048);
const method = z.string().regex(/^[A-Z]{1,10}$/, 'an HTTP method in capitals, e.g. GET');
// Refusals in the supervisor's own words, so a page hears the same reason whichever side refused.
const instancesError = {
  error: (issue: { input: unknown }) =>
    issue.input === undefined ? '"scale" needs a number "instances"' : `instances must be a whole number from ${MIN_INSTANCES} to ${MAX_INSTANCES}, got ${String(issue.input)}`,
};
const instanceCount = z.number(instancesError).int(instancesError).min(MIN_INSTANCES, instancesError).max(MAX_INSTANCES, instancesError);
const strategy = z.enum(STRATEGIES, { error: (issue) => `unknown strategy ${JSON.stringify(issue.input)}; use one of ${STRATEGIES.join(', ')}` });
const burstError = { error: () => `a burst is 1 to ${MAX_BURST} requests` };
const rpsError = { error: (issue: { input: unknown }) => `traffic rate must be between 1 and ${MAX_TRAFFIC_RPS} requests per second, got ${String(issue.input)}` };
const action = <const T extends readonly [string, ...string[]]>(what: string, actions: T) =>
  z.enum(actions, { error: (issue) => `unknown ${what} action ${JSON.stringify(issue.input)}; use ${actions.slice(0, -1).join(', ')} or ${actions.at(-1)}` });

/** Whether a refusal is one of the reasons above, which already say what is wrong in the supervisor's words. */
export const inSupervisorWords = (message: string) =>
  /^(instances must be|"scale" needs|unknown strategy|a burst is|traffic rate must be|unknown (instance|user) action)/.test(message);
const routes = z.strictObject({ login: path, visit: path, logout: path }).partial();

export const labCommand = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    id,
    instances: instanceCount.optional(),
    strategy: strategy.optional(),
    entry: z.string().min(1).max(200).optional(),
    users: routes.optional(),
  }),
  z.strictObject({ type: z.literal('stop'), id }),
  z.strictObject({ type: z.literal('instance'), id, name, action: action('instance', ['stop', 'kill', 'start', 'restart']) }),
  z.strictObject({ type: z.literal('scale'), id, instances: instanceCount }),
  z.strictObject({ type: z.literal('deploy'), id }),
  z.strictObject({ type: z.literal('strategy'), id, strategy }),
  z.strictObject({
    type: z.literal('user'),
    id,
    user: name,
    action: action('user', ['login', 'visit', 'logout', 'request']),
    method: method.optional(),
    path: path.optional(),
    body: z.unknown().optional(),
  }),
  z.strictObject({
    type: z.literal('burst'),
    id,
    user: name.optional(),
    count: z.number(burstError).int(burstError).min(1, burstError).max(MAX_BURST, burstError).optional(),
    method: method.optional(),
    path,
    body: z.unknown().optional(),
  }),
  z.strictObject({ type: z.literal('traffic'), id, on: z.boolean().optional(), users: z.array(name).max(16).optional(), rps: z.number(rpsError).positive(rpsError).max(MAX_TRAFFIC_RPS, rpsError).optional() }),
  z.strictObject({
    type: z.literal('check'),
    id,
    seed: z.number().int().min(1).max(2 ** 32 - 1).optional(),
    only: z.union([z.string(), z.array(z.string()).max(64)]).optional(),
  }),
  z.strictObject({ type: z.literal('status'), id }),
  z.strictObject({ type: z.literal('shutdown'), id }),
  z.strictObject({
    type: z.literal('tunnel'),
    op: z.enum(['open', 'data', 'close']),
    conn: z.number().int().nonnegative(),
    data: z.string().optional(),
  }),
]);

export type LabCommand = z.infer<typeof labCommand>;
export type CommandType = LabCommand['type'];
export type CommandOf<T extends CommandType> = Extract<LabCommand, { type: T }>;

/** The supervisor's own list of commands it knows and this protocol's: a command added to one only is an error. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameCommands: Same<CommandType, (typeof COMMAND_TYPES)[number]> = true;
void sameCommands;
