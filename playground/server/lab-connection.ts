/**
 * One browser connection to the lab host, over the `/lab` WebSocket, for its whole life: it opens the connection's
 * lab, writes files and relays commands to it, forwards the lab's events (metered by an output budget), reports
 * limit hits, keeps the connection honest with heartbeats and pings, closes it when idle, and tears the lab down
 * when the socket closes. The host (lab-host.ts) accepts the socket and hands it over with a LabConnectionContext.
 */
import fs from 'node:fs/promises';
import type { WebSocket } from 'ws';
import type { LabLimits } from './host-config.ts';
import { openHostedLab, type HostedLab, type HostedLabContext } from './hosted-lab.ts';
import type { LimitHit } from './lab-watchdog.ts';
import { OutputBudget } from './output-budget.ts';
import { parseClientMessage, type ClientMessage, type HostMessage } from '../protocol/host-messages.ts';
import type { LabEvent } from '../protocol/lab-events.ts';
import { startCommand } from '../protocol/start-command.ts';
import type { Lesson } from '../course/lessons.ts';

/** The least time a running command counts as activity: a cluster start on a loaded machine can take seconds. */
export const COMMAND_GRACE_MS = 30_000;

/** A lab the host runs, as its registry (and the operations endpoint) sees it. */
export interface LabEntry {
  hosted: HostedLab;
  lesson: string;
  openedAt: Date;
  lastHeard: () => number;
}

/** The host's side of the lab count: what counts against `limits.labs`, and where opened labs are recorded. */
export interface LabRegistry {
  /** Labs running plus labs still being opened. */
  inUse(): number;
  /** A connection started opening a lab; `endOpening` follows once it opened or failed. */
  beginOpening(): void;
  endOpening(): void;
  /** Record an opened lab; returns how many labs now run. */
  register(id: string, entry: LabEntry): number;
  /** Forget a torn-down lab; returns how many labs still run. */
  unregister(id: string): number;
}

/** The registry over the host's map of running labs, counting labs still being opened against the limit too. */
export function labRegistry(labs: Map<string, LabEntry>): LabRegistry {
  let opening = 0;
  return {
    inUse: () => labs.size + opening,
    beginOpening: () => {
      opening++;
    },
    endOpening: () => {
      opening--;
    },
    register: (id, entry) => labs.set(id, entry).size,
    unregister: (id) => {
      labs.delete(id);
      return labs.size;
    },
  };
}

/** What a connection needs from its host. */
export interface LabConnectionContext {
  limits: LabLimits;
  /** What openHostedLab needs: isolation, slots, watchdog, lab root, sealed runtime. */
  hostedLab: HostedLabContext;
  labs: LabRegistry;
  /** Whether the host is shutting down (it opens no labs then). */
  isClosing: () => boolean;
  /** Names this host in `opened` messages. */
  hostName: string;
  heartbeatMs: number;
  log: (entry: Record<string, unknown>) => void;
  loadLesson: (name: string) => Promise<Lesson>;
}

type CloseCode = Extract<HostMessage, { op: 'closed' }>['code'];
type MessageOf<Op extends ClientMessage['op']> = Extract<ClientMessage, { op: Op }>;

export class LabConnection {
  private readonly ws: WebSocket;
  private readonly context: LabConnectionContext;
  private readonly limits: LabLimits;
  private hosted: HostedLab | undefined;
  private settings: ReturnType<typeof startCommand> | undefined;
  private busyOpening = false;
  private closed = false;
  private lastHeard = Date.now();
  private readonly budget: OutputBudget;

  private readonly idleMs: number;
  /**
   * A command still running (a long check) is activity too: the learner is waiting for it. But only for one idle
   * period from its start (at least COMMAND_GRACE_MS, for very short idle settings): a command that never gets a
   * reply must not keep a lab alive forever.
   */
  private readonly commandCountsMs: number;
  /** Start times of commands still waiting for their reply. */
  private readonly running = new Map<number, number>();
  private nextRunning = 0;
  private answeredPing = true;
  private queue = Promise.resolve();

  private readonly idleTimer: NodeJS.Timeout;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly droppedTimer: NodeJS.Timeout;

  constructor(ws: WebSocket, context: LabConnectionContext) {
    this.ws = ws;
    this.context = context;
    this.limits = context.limits;
    this.budget = new OutputBudget(this.limits.outputKbPerSecond * 1024);
    this.idleMs = this.limits.idleMinutes * 60_000;
    this.commandCountsMs = Math.max(this.idleMs, COMMAND_GRACE_MS);

    this.idleTimer = setInterval(() => this.checkIdle(), Math.min(this.idleMs, 30_000));
    // Heartbeats tell the page the host is alive; pings (answered by the browser itself) tell the host the page is.
    ws.on('pong', () => (this.answeredPing = true));
    this.heartbeatTimer = setInterval(() => this.heartbeat(), context.heartbeatMs);
    this.droppedTimer = setInterval(() => this.reportDropped(), 1000);

    // Messages are handled in arrival order (a write lands before the deploy sent after it); command replies
    // are not waited for, so a user action is not stuck behind a long check.
    ws.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      this.queue = this.queue.then(() => this.handle(data.toString(), isBinary));
    });
    ws.on('close', () => this.close());
    ws.on('error', () => ws.terminate());
  }

  private send(message: HostMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private end(code: CloseCode, reason: string): void {
    this.send({ op: 'closed', code, reason });
    this.ws.close(code === 'idle' ? 4000 : 4001, code);
  }

  private waitingForCommand(): boolean {
    return [...this.running.values()].some((startedAt) => Date.now() - startedAt < this.commandCountsMs);
  }

  private checkIdle(): void {
    if (this.waitingForCommand() || Date.now() - this.lastHeard < this.idleMs) return;
    this.context.log({ level: 'info', msg: 'lab idle', lab: this.hosted?.lab.id ?? null });
    const minutes = this.limits.idleMinutes;
    const idleFor = minutes >= 1 ? `${minutes} minutes` : `${Math.round(minutes * 60)} seconds`;
    this.end('idle', `This lab was closed after ${idleFor} without activity. Press Run to start a fresh one; your files are safe in this page.`);
  }

  private heartbeat(): void {
    if (!this.answeredPing) {
      this.context.log({ level: 'info', msg: 'lab connection unresponsive', lab: this.hosted?.lab.id ?? null });
      this.ws.terminate();
      return;
    }
    this.answeredPing = false;
    this.ws.ping();
    this.send({ op: 'heartbeat' });
  }

  private reportDropped(): void {
    const dropped = this.budget.takeDropped();
    if (dropped > 0) {
      this.send({ op: 'limit', limit: 'output rate', message: `Your lab produced output faster than ${this.limits.outputKbPerSecond} KB/s; ${Math.round(dropped / 1024)} KB of events were dropped. Logging on every request adds up quickly.` });
    }
  }

  private readonly onLimit = (hit: LimitHit): void => {
    this.context.log({ level: 'warn', msg: 'lab limit', lab: this.hosted?.lab.id ?? null, limit: hit.limit, action: hit.action });
    this.send({ op: 'limit', limit: hit.limit, message: hit.message });
    if (hit.action === 'end-lab') this.end('limit', hit.message);
  };

  private readonly forward = (event: LabEvent): void => {
    const text = JSON.stringify({ op: 'event', event } satisfies HostMessage);
    // Results and state changes always go through; only the flood of request and log events is metered.
    const metered = event.type === 'request' || event.type === 'log';
    if (!metered || this.budget.take(text.length)) {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
    }
    const reason = event.type === 'process' && event.state === 'crashed' ? (event.reason ?? '') : '';
    if (/SIGXFSZ|EFBIG/.test(reason)) this.onLimit({ limit: 'file size', action: 'stopped-process', message: `A process of your lab tried to write a file larger than ${this.limits.fileMb} MB, the limit, and was stopped.` });
    else if (/out of memory|allocation failed/i.test(reason)) this.onLimit({ limit: 'memory per process', action: 'stopped-process', message: `A process of your lab ran out of the memory it may use (${this.limits.memoryMbPerProcess} MB per process).` });
  };

  private async handle(data: string, isBinary: boolean): Promise<void> {
    if (isBinary) return this.send({ op: 'error', message: 'binary frames are not part of the lab protocol' });
    const parsed = parseClientMessage(data);
    if (!parsed.ok) return this.send(parsed.id === undefined ? { op: 'error', message: parsed.error } : { op: 'reply', id: parsed.id, ok: false, error: parsed.error });
    const message = parsed.message;
    try {
      if (message.op === 'open') await this.open(message);
      else if (message.op === 'write') await this.write(message);
      else this.command(message);
    } catch (error) {
      this.send({ op: 'error', message: (error as Error).message });
    } finally {
      if (message.op === 'open') this.busyOpening = false;
    }
  }

  private async open(message: MessageOf<'open'>): Promise<void> {
    const { limits, labs } = this.context;
    if (this.hosted || this.busyOpening) return this.send({ op: 'error', message: 'this connection already has a lab' });
    if (this.context.isClosing()) return this.send({ op: 'error', message: 'the lab host is shutting down; try again in a moment' });
    if (labs.inUse() >= limits.labs) return this.send({ op: 'error', message: `the lab host is full (${limits.labs} labs running, the limit); try again in a minute` });
    this.busyOpening = true;
    labs.beginOpening();
    try {
      const lesson = await this.context.loadLesson(message.lesson);
      const created = await openHostedLab(this.context.hostedLab, message.files, await fs.readFile(lesson.checksFile, 'utf8'), this.onLimit);
      this.settings = startCommand(lesson.meta.lab);
      if (this.closed) {
        await created.destroy();
        return;
      }
      this.hosted = created;
      const running = labs.register(created.lab.id, { hosted: created, lesson: lesson.slug, openedAt: new Date(), lastHeard: () => this.lastHeard });
      created.lab.on('event', this.forward);
      // The supervisor's own errors (a sandbox that cannot start, a crash) explain an early exit.
      const stderr: string[] = [];
      created.lab.on('stderr', (line) => {
        stderr.push(line);
        if (stderr.length > 5) stderr.shift();
      });
      created.lab.on('exit', (code, signal) => {
        const said = stderr.length ? `: ${stderr.join(' / ')}` : '';
        if (!this.closed) this.end('supervisor-exit', `the lab supervisor exited (${signal ?? `code ${code}`})${said}`);
      });
      this.context.log({ level: 'info', msg: 'lab opened', lab: created.lab.id, lesson: lesson.slug, labs: running });
      this.send({ op: 'opened', labId: created.lab.id, lesson: lesson.slug, host: this.context.hostName });
    } finally {
      labs.endOpening();
    }
  }

  private async write(message: MessageOf<'write'>): Promise<void> {
    if (!this.hosted) return this.send({ op: 'error', message: 'open a lab before writing files' });
    await this.hosted.lab.writeFiles(message.files);
  }

  /** Relays a command without waiting for its reply (see the message queue in the constructor). */
  private command(message: MessageOf<'command'>): void {
    if (!this.hosted) return this.send({ op: 'reply', id: message.id, ok: false, error: 'open a lab before sending commands' });
    // A lab starts with the settings of the server's copy of the lesson, whatever the page says.
    const command = message.command.type === 'start' && this.settings ? this.settings : message.command;
    const id = message.id;
    const runningId = this.nextRunning++;
    this.running.set(runningId, Date.now());
    this.hosted.lab
      .send(command)
      .then(
        () => this.send({ op: 'reply', id, ok: true }),
        (error: Error) => this.send({ op: 'reply', id, ok: false, error: error.message }),
      )
      .finally(() => {
        this.running.delete(runningId);
        this.lastHeard = Date.now();
      });
  }

  /** The socket closed: stop the timers and tear the lab down. */
  private close(): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    clearInterval(this.droppedTimer);
    clearInterval(this.heartbeatTimer);
    if (!this.hosted) return;
    const ending = this.hosted;
    this.hosted = undefined;
    const { log, labs } = this.context;
    void ending
      .destroy()
      .catch((error: Error) => log({ level: 'error', msg: 'lab tear-down failed', lab: ending.lab.id, error: error.message }))
      .finally(() => {
        const running = labs.unregister(ending.lab.id);
        log({ level: 'info', msg: 'lab closed', lab: ending.lab.id, labs: running });
      });
  }
}
