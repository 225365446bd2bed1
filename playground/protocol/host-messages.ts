/**
 * Messages between a browser tab and the lab host over the `/lab` WebSocket. Every message from the browser is
 * validated here; anything malformed becomes a readable error, never an exception in the host.
 */
import { z } from 'zod';
import { inSupervisorWords, labCommand } from './lab-commands.ts';
import type { LabEvent } from './lab-events.ts';

export const LIMITS = {
  messageBytes: 1024 * 1024,
  files: 64,
  fileBytes: 256 * 1024,
  pathLength: 200,
} as const;

const labFile = z
  .object({
    path: z
      .string()
      .min(1)
      .max(LIMITS.pathLength)
      .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..') && !p.includes('\0'), 'must be a relative path inside the lab'),
    content: z.string().max(LIMITS.fileBytes, `a file may hold at most ${LIMITS.fileBytes / 1024} KB`),
  })
  .strict();

const files = z.array(labFile).max(LIMITS.files, `at most ${LIMITS.files} files`);

export const clientMessage = z.discriminatedUnion('op', [
  z.object({ op: z.literal('open'), lesson: z.string().regex(/^[a-z0-9-]{1,64}$/), files }).strict(),
  z.object({ op: z.literal('write'), files }).strict(),
  z.object({ op: z.literal('command'), id: z.number().int().nonnegative(), command: labCommand }).strict(),
]);

export type ClientMessage = z.infer<typeof clientMessage>;

/**
 * Why the host ended a lab. `host-shutdown` and `supervisor-exit` are worth a fresh lab (on this or another
 * host); `idle` and `limit` are not retried without the learner asking.
 */
export type LabCloseCode = 'supervisor-exit' | 'host-shutdown' | 'idle' | 'limit';

export type HostMessage =
  /** `host` names the lab host process that runs the lab (useful when several sit behind a balancer). */
  | { op: 'opened'; labId: string; lesson: string; host: string }
  | { op: 'event'; event: LabEvent }
  | { op: 'reply'; id: number; ok: boolean; error?: string }
  | { op: 'error'; message: string }
  /** A process in the lab hit one of the host's limits; `limit` is its name (e.g. "memory per process"). */
  | { op: 'limit'; limit: string; message: string }
  | { op: 'closed'; reason: string; code: LabCloseCode }
  /** Sent every HEARTBEAT_MS, so a page can tell a quiet lab from a host that vanished without closing the socket. */
  | { op: 'heartbeat' };


const commandEnvelope = z.object({ op: z.literal('command'), id: z.number().int().nonnegative(), command: z.unknown() });

const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'unknown shape';
};

/** Why a command is refused, in the words the supervisor would use for an unknown type. */
function commandProblem(command: unknown, error: z.ZodError): string {
  const type = typeof command === 'object' && command !== null && 'type' in command ? command.type : undefined;
  if (typeof type !== 'string' || !labCommand.options.some((o) => o.shape.type.value === type)) {
    return `unknown command type ${JSON.stringify(type ?? null)}; known: ${labCommand.options.map((o) => o.shape.type.value).join(', ')}`;
  }
  const issue = error.issues[0];
  if (issue && inSupervisorWords(issue.message)) return issue.message;
  return `invalid "${type}" command: ${firstIssue(error)}`;
}

/**
 * Parse one WebSocket text frame from a browser. A command that is refused keeps its id, so the page's wait for
 * that command's reply ends with the reason instead of waiting forever.
 */
export function parseClientMessage(raw: string): { ok: true; message: ClientMessage } | { ok: false; error: string; id?: number } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  const parsed = clientMessage.safeParse(data);
  if (parsed.success) return { ok: true, message: parsed.data };
  const envelope = commandEnvelope.safeParse(data);
  if (envelope.success) {
    const command = labCommand.safeParse(envelope.data.command);
    if (!command.success) return { ok: false, error: commandProblem(envelope.data.command, command.error), id: envelope.data.id };
  }
  return { ok: false, error: `invalid message: ${firstIssue(parsed.error)}` };
}
