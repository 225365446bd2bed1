/**
 * The browser's view of a sandbox that can run a lab. Two implementations: `server` (the self-hosted lab host,
 * over a WebSocket) and `webcontainer` (@webcontainer/api in the learner's tab). The playground UI only talks to
 * this interface.
 */

import type { LabCommand } from '../protocol/lab-commands.ts';
import type { LabEvent } from '../protocol/lab-events.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { LabSettings } from '../protocol/lesson-schema.ts';

export type RuntimeStatus =
  | { state: 'idle' }
  | { state: 'connecting'; detail: string }
  | { state: 'ready' }
  /**
   * The lab ended without the playground asking. `recoverable`: the sandbox went away (a lab host was killed or
   * shut down) and a fresh lab, possibly elsewhere, is worth building from the learner's files at once; false
   * when it was ended on purpose (idle too long, over a limit) and the learner should decide. `code` is the lab
   * host's reason code when it gave one.
   */
  | { state: 'lost'; detail: string; recoverable?: boolean; code?: string }
  | { state: 'failed'; detail: string };

export interface OpenLabRequest {
  lesson: string;
  files: LabFile[];
  /** The lesson's lab settings and checks. The lab host uses its own copies; an in-browser sandbox needs these. */
  lab?: LabSettings;
  checks?: string;
}

export interface Runtime {
  readonly kind: 'server' | 'webcontainer';
  /** Where the lab runs, when the runtime can tell (the lab host's name); shown to the learner after a failover. */
  readonly host?: string | undefined;
  /** Connect or boot; rejects with a readable message when the sandbox is not available. */
  boot(signal?: AbortSignal): Promise<void>;
  /** Start a lab for the lesson with these learner files (the supervisor starts; the cluster does not yet). */
  openLab(request: OpenLabRequest): Promise<void>;
  /** Replace learner files in the running lab. */
  writeFiles(files: LabFile[]): Promise<void>;
  /** Send a supervisor command; resolves when it has been carried out, rejects with its error. */
  send(command: LabCommand): Promise<void>;
  onEvent(listener: (event: LabEvent) => void): () => void;
  onStatus(listener: (status: RuntimeStatus) => void): () => void;
  /** Stop the lab and release everything. */
  dispose(): Promise<void>;
}
