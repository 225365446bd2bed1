import { PendingReplies } from './pending-replies.ts';
import type { LabCommand, LabEvent, LabFile, OpenLabRequest, Runtime, RuntimeStatus } from './types.ts';
import type { HostMessage } from '../server/lab-protocol.ts';

/** Runs labs on the self-hosted lab host through its `/lab` WebSocket. */
export class ServerRuntime implements Runtime {
  readonly kind = 'server' as const;
  private socket: WebSocket | undefined;
  private events = new Set<(event: LabEvent) => void>();
  private statuses = new Set<(status: RuntimeStatus) => void>();
  private replies = new PendingReplies();
  private opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private disposed = false;

  private readonly url: string;
  private readonly createSocket: (url: string) => WebSocket;

  /** `createSocket` lets Node tests open the socket with an Origin header, as a browser would send. */
  constructor(url: string = ServerRuntime.defaultUrl(), createSocket: (url: string) => WebSocket = (u) => new WebSocket(u)) {
    this.url = url;
    this.createSocket = createSocket;
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
      const fail = (detail: string) => {
        this.setStatus({ state: 'failed', detail });
        reject(new Error(detail));
      };
      signal?.addEventListener('abort', () => {
        socket.close();
        fail('Connecting to the lab host was cancelled.');
      });
      socket.addEventListener('open', () => {
        this.setStatus({ state: 'ready' });
        resolve();
      });
      socket.addEventListener('message', (message) => this.receive(String(message.data)));
      socket.addEventListener('close', (event) => {
        const detail = event.reason || 'The connection to the lab host was lost.';
        this.replies.rejectAll(detail);
        this.opened?.reject(new Error(detail));
        this.opened = undefined;
        if (this.disposed) return;
        if (socket.readyState === WebSocket.CLOSED && this.socket === socket) {
          this.setStatus({ state: 'lost', detail });
          reject(new Error(detail));
        }
      });
    });
  }

  private receive(raw: string): void {
    let message: HostMessage;
    try {
      message = JSON.parse(raw) as HostMessage;
    } catch {
      return;
    }
    switch (message.op) {
      case 'event':
        for (const listener of this.events) listener(message.event as LabEvent);
        break;
      case 'reply':
        this.replies.settle({ type: 'reply', id: message.id, ok: message.ok, error: message.error });
        break;
      case 'opened':
        this.opened?.resolve();
        this.opened = undefined;
        break;
      case 'error':
        if (this.opened) {
          this.opened.reject(new Error(message.message));
          this.opened = undefined;
        } else {
          for (const listener of this.events) listener({ type: 'error', t: Date.now(), message: message.message });
        }
        break;
      case 'closed':
        this.setStatus({ state: 'lost', detail: message.reason });
        break;
    }
  }

  private post(message: unknown): void {
    if (this.socket?.readyState !== WebSocket.OPEN) throw new Error('not connected to the lab host');
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
    this.socket?.close(1000, 'playground closed');
    this.socket = undefined;
  }
}
