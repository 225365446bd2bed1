/**
 * The lab host runtime: a WebSocket to the host's `/lab`, its messages turned into the Runtime interface, with
 * heartbeats telling a quiet lab from a host that vanished.
 */
import { HEARTBEAT_MS, MISSED_HEARTBEATS } from '../protocol/heartbeat.ts';
import { PendingReplies } from '../protocol/pending-replies.ts';
import type { LabCommand } from '../protocol/lab-commands.ts';
import type { LabEvent } from '../protocol/lab-events.ts';
import { readHostMessage } from '../protocol/read-messages.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { OpenLabRequest, Runtime, RuntimeStatus } from './types.ts';
import type { HostMessage, LabCloseCode } from '../protocol/host-messages.ts';

/** Close codes after which the lab is not rebuilt without the learner asking (the host ended it on purpose). */
const DELIBERATE: ReadonlySet<LabCloseCode> = new Set(['idle', 'limit']);

/**
 * Runs labs on the self-hosted lab host through its `/lab` WebSocket. One instance is one connection and one lab:
 * when the connection ends, the runtime reports `lost` (saying whether a fresh lab is worth trying) and is done;
 * the playground builds a new one to reconnect, possibly to another host behind the same balancer.
 */
export class ServerRuntime implements Runtime {
  readonly kind = 'server' as const;
  /** The name of the lab host process running this lab (from its `opened` message). */
  host: string | undefined;
  private socket: WebSocket | undefined;
  private events = new Set<(event: LabEvent) => void>();
  private statuses = new Set<(status: RuntimeStatus) => void>();
  private replies = new PendingReplies();
  private opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** What the host said when it ended the lab, if it said anything before the socket closed. */
  private ended: { code: LabCloseCode; reason: string } | undefined;
  private disposed = false;

  private readonly url: string;
  private readonly createSocket: (url: string) => WebSocket;
  private readonly heartbeatMs: number;

  /**
   * `createSocket` lets Node tests open the socket with an Origin header, as a browser would send; `heartbeatMs`
   * must match the host's (tests shorten both).
   */
  constructor(url: string = ServerRuntime.defaultUrl(), createSocket: (url: string) => WebSocket = (u) => new WebSocket(u), { heartbeatMs = HEARTBEAT_MS } = {}) {
    this.url = url;
    this.createSocket = createSocket;
    this.heartbeatMs = heartbeatMs;
  }

  static defaultUrl(): string {
    const { protocol, host } = window.location;
    return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/lab`;
  }

  boot(signal?: AbortSignal): Promise<void> {
    this.setStatus({ state: 'connecting', detail: 'Connecting to the lab host…' });
    return new Promise((resolve, reject) => {
      const socket = this.createSocket(this.url);
      this.socket = socket;
      let connected = false;
      signal?.addEventListener('abort', () => {
        if (connected) return;
        socket.close();
        this.setStatus({ state: 'failed', detail: 'Connecting to the lab host was cancelled.' });
        reject(new Error('Connecting to the lab host was cancelled.'));
      });
      socket.addEventListener('open', () => {
        connected = true;
        this.setStatus({ state: 'ready' });
        resolve();
      });
      // The host speaks at least every HEARTBEAT_MS; silence far beyond that means it vanished without a close.
      let lastHeard = Date.now();
      const silence = setInterval(() => {
        if (connected && Date.now() - lastHeard > this.heartbeatMs * MISSED_HEARTBEATS) onClose({ reason: 'the lab host stopped answering' });
      }, this.heartbeatMs / 2);
      socket.addEventListener('message', (message) => {
        lastHeard = Date.now();
        this.receive(String(message.data));
      });
      let handled = false;
      const onClose = (event: { reason: string }) => {
        if (handled) return;
        handled = true;
        clearInterval(silence);
        if (this.socket !== socket && this.socket !== undefined) return;
        if (socket.readyState !== WebSocket.CLOSED) socket.close();
        const ended = this.ended;
        const detail = ended
          ? `The lab host ended your lab: ${ended.reason}.`
          : connected
            ? `The connection to the lab host was lost${event.reason ? ` (${event.reason})` : ''}.`
            : 'Could not connect to the lab host.';
        // Whatever was waiting for an answer fails now rather than hanging.
        this.replies.rejectAll(`${detail} The command was not confirmed.`);
        this.opened?.reject(new Error(detail));
        this.opened = undefined;
        this.socket = undefined;
        if (!connected) reject(new Error(detail));
        if (this.disposed) return;
        if (!connected) return this.setStatus({ state: 'failed', detail });
        // A host that went away (killed, restarted, shut down, its supervisor died) is worth a fresh lab, here or
        // on another host; a lab ended on purpose (idle, over a limit) waits for the learner.
        const recoverable = !(ended && DELIBERATE.has(ended.code));
        this.setStatus({ state: 'lost', detail, recoverable, ...(ended ? { code: ended.code } : {}) });
      };
      socket.addEventListener('close', onClose);
    });
  }

  private receive(raw: string): void {
    const message = readHostMessage(raw);
    if (!message) return;
    switch (message.op) {
      case 'heartbeat':
        break;
      case 'event':
        this.emit(message.event);
        break;
      case 'reply':
        this.replies.settle(message);
        break;
      case 'opened':
        this.host = message.host;
        this.opened?.resolve();
        this.opened = undefined;
        break;
      case 'error':
        if (this.opened) {
          this.opened.reject(new Error(message.message));
          this.opened = undefined;
        } else {
          this.emit({ type: 'error', t: Date.now(), message: message.message });
        }
        break;
      case 'limit':
        this.emit({ type: 'error', t: Date.now(), message: message.message });
        break;
      case 'closed':
        // The lab is over; this connection cannot hold another. The close event reports it once.
        this.ended = { code: message.code, reason: message.reason.replace(/\.$/, '') };
        this.socket?.close(1000, 'lab closed by the host');
        break;
    }
  }

  private emit(event: LabEvent): void {
    for (const listener of this.events) listener(event);
  }

  private post(message: unknown): void {
    if (this.socket?.readyState !== WebSocket.OPEN) throw new Error('Not connected to the lab host.');
    this.socket.send(JSON.stringify(message));
  }

  openLab(request: OpenLabRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      this.opened = { resolve, reject };
      try {
        this.post({ op: 'open', lesson: request.lesson, files: request.files });
      } catch (error) {
        this.opened = undefined;
        reject(error as Error);
      }
    });
  }

  async writeFiles(files: LabFile[]): Promise<void> {
    this.post({ op: 'write', files });
  }

  send(command: LabCommand): Promise<void> {
    return this.replies.request((id) => this.post({ op: 'command', id, command }));
  }

  onEvent(listener: (event: LabEvent) => void): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }

  onStatus(listener: (status: RuntimeStatus) => void): () => void {
    this.statuses.add(listener);
    return () => this.statuses.delete(listener);
  }

  private setStatus(status: RuntimeStatus): void {
    for (const listener of this.statuses) listener(status);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const socket = this.socket;
    this.socket = undefined;
    this.replies.rejectAll('The lab was closed.');
    this.opened?.reject(new Error('The lab was closed.'));
    this.opened = undefined;
    socket?.close(1000, 'playground closed');
  }
}
