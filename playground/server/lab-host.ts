import fs from 'node:fs/promises';
import os from 'node:os';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkUpgrade, hasJoined, refuseUpgrade } from './access.ts';
import { DEFAULT_LIMITS, type LabLimits } from './host-config.ts';
import { openHostedLab, type HostedLab, type HostedLabContext, type SealedRuntime } from './hosted-lab.ts';
import { reapStaleLabResources } from './lab-resources.ts';
import { sealedNode, sealedPolicy } from './sealed-node.ts';
import { chooseIsolation, type IsolationChoice } from './lab-sandbox.ts';
import { SlotPool } from './lab-slots.ts';
import { LabWatchdog, type LimitHit } from './lab-watchdog.ts';
import { parseClientMessage, LIMITS, type HostMessage } from './lab-protocol.ts';
import { HEARTBEAT_MS } from '../runtime/heartbeat.ts';
import { OutputBudget } from './output-budget.ts';
import { startCommand } from '../runtime/start-command.ts';
import { isolationHeaders } from './static-site.ts';
import { loadLesson } from './lessons.ts';
import { reapStaleLabDirs } from './stale-labs.ts';
import type { HostNames } from './host-names.ts';
import path from 'node:path';

export { originAllowed } from './access.ts';

export const LAB_PATH = '/lab';
/** The least time a running command counts as activity: a cluster start on a loaded machine can take seconds. */
const COMMAND_GRACE_MS = 30_000;

export interface LabHostOptions {
  /** Origins allowed to open labs besides the host's own (e.g. a dev server). */
  allowedOrigins?: string[];
  /** Shorthand for limits.labs. */
  maxLabs?: number;
  limits?: Partial<LabLimits>;
  /** When set, lab sockets need the join cookie (see access.ts). */
  joinToken?: string;
  /** How labs are confined; chosen for this machine when left out. */
  isolation?: IsolationChoice;
  /** Where lab folders and slot locks live. */
  labRoot?: string;
  /** Names this host in `opened` messages and logs; defaults to hostname:pid. */
  name?: string;
  log?: (entry: Record<string, unknown>) => void;
  /** How often to send heartbeats and pings (tests shorten it). */
  heartbeatMs?: number;
  /** The names this host serves (see host-names.ts); loopback names only when left out. */
  hostNames?: HostNames;
}

export interface LabSummary {
  id: string;
  lesson: string;
  openedAt: string;
  idleSeconds: number;
  processes: number;
  memoryMb: number;
  cpuPercent: number;
  files: number;
}

/**
 * GET /lab (not an upgrade): tells the page this site has a lab host, which runtime to prefer, and whether this
 * browser still needs the class's join link. Returns true when it answered the request.
 */
export function answerLabHostInfo(req: http.IncomingMessage, res: http.ServerResponse, prefer: 'server' | 'webcontainer' = 'server', joinToken?: string): boolean {
  if (pathOf(req) !== LAB_PATH || req.method !== 'GET') return false;
  res.writeHead(200, { ...isolationHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ labHost: true, prefer, joined: hasJoined(req, joinToken) }));
  return true;
}

/** The path of a request, or '' when its target cannot be read as one. */
export function pathOf(req: http.IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://host').pathname;
  } catch {
    return '';
  }
}

/**
 * Supervisors run on a sealed Node wherever learner code could otherwise reach them (a sandbox, or a uid of its
 * own); in a sandbox, the seccomp policy is applied too. A lab run as the host's own user without a sandbox can
 * reach the host itself, so sealing would protect nothing there.
 */
function sealRuntime(isolation: IsolationChoice, labRoot: string): Promise<SealedRuntime> | undefined {
  if (isolation.mode !== 'namespaces' && !isolation.switchUsers) return undefined;
  return (async () => ({
    node: await sealedNode(labRoot),
    policy: isolation.mode === 'namespaces' ? await sealedPolicy(labRoot) : undefined,
  }))();
}

let defaultIsolation: IsolationChoice | undefined;

/** Clear what a crashed host left behind under `labRoot`: labs of dead hosts and their slot locks. */
export async function reapStaleLabs(labRoot: string, switchUsers: boolean): Promise<{ dirs: number; processes: number; slots: number; cgroups: number; mounts: number }> {
  // Slots first: reclaiming one kills whatever still runs as its uid, so no process races the folders' removal;
  // then cgroups and mounts, since a mounted app/ cannot be removed.
  const slots = await new SlotPool(labRoot, { switchUsers }).reapStale();
  const resources = await reapStaleLabResources(labRoot);
  const dirs = await reapStaleLabDirs(labRoot);
  return { ...dirs, slots, ...resources };
}

/**
 * Serve labs over a WebSocket at /lab on an existing HTTP server. Each connection gets its own lab (its own
 * directory, slot and processes, inside the host's sandbox and limits); the lab is destroyed when the connection
 * closes, goes idle, or hits a limit that ends it.
 */
export function attachLabHost(server: http.Server, options: LabHostOptions = {}) {
  const limits: LabLimits = { ...DEFAULT_LIMITS, ...options.limits, ...(options.maxLabs ? { labs: options.maxLabs } : {}) };
  const isolation = options.isolation ?? (defaultIsolation ??= chooseIsolation('auto'));
  const labRoot = options.labRoot ?? path.join(os.tmpdir(), 'stateless-lab');
  const hostName = options.name ?? `${os.hostname()}:${process.pid}`;
  const log = options.log ?? (() => undefined);
  const watchdog = new LabWatchdog(limits);
  const context: HostedLabContext = { isolation, limits, slots: new SlotPool(labRoot, { switchUsers: isolation.switchUsers }), watchdog, labRoot, sealed: sealRuntime(isolation, labRoot) };
  context.sealed?.catch((error: Error) => log({ level: 'error', msg: 'could not seal the lab runtime', error: error.message }));
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.messageBytes });
  const labs = new Map<string, { hosted: HostedLab; lesson: string; openedAt: Date; lastHeard: () => number }>();
  let opening = 0;
  let closing = false;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      upgrade(req, socket, head);
    } catch (error) {
      log({ level: 'warn', msg: 'malformed lab connection', error: (error as Error).message });
      refuseUpgrade(socket, 400, 'This request could not be read.');
    }
  });

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (pathOf(req) !== LAB_PATH) return;
    if (closing) {
      // A page failing over must not land on a host that is about to go.
      refuseUpgrade(socket, 503, 'This lab host is shutting down.');
      return;
    }
    const verdict = checkUpgrade(req, { allowedOrigins: options.allowedOrigins, joinToken: options.joinToken, hostNames: options.hostNames });
    if (!verdict.ok) {
      log({ level: 'warn', msg: 'refused lab connection', reason: verdict.reason, origin: req.headers.origin ?? null, address: req.socket.remoteAddress });
      refuseUpgrade(socket, verdict.status, verdict.message);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  }

  function serve(ws: WebSocket): void {
    let hosted: HostedLab | undefined;
    let settings: ReturnType<typeof startCommand> | undefined;
    let busyOpening = false;
    let closed = false;
    let lastHeard = Date.now();
    const budget = new OutputBudget(limits.outputKbPerSecond * 1024);
    const send = (message: HostMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const end = (code: Extract<HostMessage, { op: 'closed' }>['code'], reason: string) => {
      send({ op: 'closed', code, reason });
      ws.close(code === 'idle' ? 4000 : 4001, code);
    };

    const idleMs = limits.idleMinutes * 60_000;
    // A command still running (a long check) is activity too: the learner is waiting for it. But only for one idle
    // period from its start (at least COMMAND_GRACE_MS, for very short idle settings): a command that never gets a
    // reply must not keep a lab alive forever.
    const commandCountsMs = Math.max(idleMs, COMMAND_GRACE_MS);
    const running = new Map<number, number>();
    let nextRunning = 0;
    const waitingForCommand = () => [...running.values()].some((startedAt) => Date.now() - startedAt < commandCountsMs);
    const idleTimer = setInterval(() => {
      if (waitingForCommand() || Date.now() - lastHeard < idleMs) return;
      log({ level: 'info', msg: 'lab idle', lab: hosted?.lab.id ?? null });
      const idleFor = limits.idleMinutes >= 1 ? `${limits.idleMinutes} minutes` : `${Math.round(limits.idleMinutes * 60)} seconds`;
      end('idle', `This lab was closed after ${idleFor} without activity. Press Run to start a fresh one; your files are safe in this page.`);
    }, Math.min(idleMs, 30_000));
    // Heartbeats tell the page the host is alive; pings (answered by the browser itself) tell the host the page is.
    let answeredPing = true;
    ws.on('pong', () => (answeredPing = true));
    const heartbeatTimer = setInterval(() => {
      if (!answeredPing) {
        log({ level: 'info', msg: 'lab connection unresponsive', lab: hosted?.lab.id ?? null });
        ws.terminate();
        return;
      }
      answeredPing = false;
      ws.ping();
      send({ op: 'heartbeat' });
    }, options.heartbeatMs ?? HEARTBEAT_MS);
    const droppedTimer = setInterval(() => {
      const dropped = budget.takeDropped();
      if (dropped > 0) {
        send({ op: 'limit', limit: 'output rate', message: `Your lab produced output faster than ${limits.outputKbPerSecond} KB/s; ${Math.round(dropped / 1024)} KB of events were dropped. Logging on every request adds up quickly.` });
      }
    }, 1000);

    const onLimit = (hit: LimitHit) => {
      log({ level: 'warn', msg: 'lab limit', lab: hosted?.lab.id ?? null, limit: hit.limit, action: hit.action });
      send({ op: 'limit', limit: hit.limit, message: hit.message });
      if (hit.action === 'end-lab') end('limit', hit.message);
    };

    // Messages are handled in arrival order (a write lands before the deploy sent after it); command replies
    // are not waited for, so a user action is not stuck behind a long check.
    let queue = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      lastHeard = Date.now();
      queue = queue.then(() => handle(data.toString(), isBinary));
    });

    function forward(event: Record<string, unknown>): void {
      const text = JSON.stringify({ op: 'event', event } satisfies HostMessage);
      // Results and state changes always go through; only the flood of request and log events is metered.
      const metered = event.type === 'request' || event.type === 'log';
      if (!metered || budget.take(text.length)) {
        if (ws.readyState === ws.OPEN) ws.send(text);
      }
      const reason = event.type === 'process' && event.state === 'crashed' ? String(event.reason ?? '') : '';
      if (/SIGXFSZ|EFBIG/.test(reason)) onLimit({ limit: 'file size', action: 'stopped-process', message: `A process of your lab tried to write a file larger than ${limits.fileMb} MB, the limit, and was stopped.` });
      else if (/out of memory|allocation failed/i.test(reason)) onLimit({ limit: 'memory per process', action: 'stopped-process', message: `A process of your lab ran out of the memory it may use (${limits.memoryMbPerProcess} MB per process).` });
    }

    async function handle(data: string, isBinary: boolean): Promise<void> {
      if (isBinary) return send({ op: 'error', message: 'binary frames are not part of the lab protocol' });
      const parsed = parseClientMessage(data);
      if (!parsed.ok) return send({ op: 'error', message: parsed.error });
      const message = parsed.message;
      try {
        if (message.op === 'open') {
          if (hosted || busyOpening) return send({ op: 'error', message: 'this connection already has a lab' });
          if (closing) return send({ op: 'error', message: 'the lab host is shutting down; try again in a moment' });
          if (labs.size + opening >= limits.labs) return send({ op: 'error', message: `the lab host is full (${limits.labs} labs running, the limit); try again in a minute` });
          busyOpening = true;
          opening++;
          let created: HostedLab;
          try {
            const lesson = await loadLesson(message.lesson);
            created = await openHostedLab(context, message.files, await fs.readFile(lesson.checksFile, 'utf8'), onLimit);
            settings = startCommand(lesson.meta.lab);
            if (closed) {
              await created.destroy();
              return;
            }
            hosted = created;
            labs.set(created.lab.id, { hosted: created, lesson: lesson.slug, openedAt: new Date(), lastHeard: () => lastHeard });
            created.lab.on('event', forward);
            // The supervisor's own errors (a sandbox that cannot start, a crash) explain an early exit.
            const stderr: string[] = [];
            created.lab.on('stderr', (line) => {
              stderr.push(line);
              if (stderr.length > 5) stderr.shift();
            });
            created.lab.on('exit', (code, signal) => {
              const said = stderr.length ? `: ${stderr.join(' / ')}` : '';
              if (!closed) end('supervisor-exit', `the lab supervisor exited (${signal ?? `code ${code}`})${said}`);
            });
            log({ level: 'info', msg: 'lab opened', lab: created.lab.id, lesson: lesson.slug, labs: labs.size });
            send({ op: 'opened', labId: created.lab.id, lesson: lesson.slug, host: hostName });
          } finally {
            opening--;
          }
        } else if (message.op === 'write') {
          if (!hosted) return send({ op: 'error', message: 'open a lab before writing files' });
          await hosted.lab.writeFiles(message.files);
        } else {
          if (!hosted) return send({ op: 'reply', id: message.id, ok: false, error: 'open a lab before sending commands' });
          // A lab starts with the settings of the server's copy of the lesson, whatever the page says.
          const command = message.command.type === 'start' && settings ? settings : (message.command as { type: string });
          const id = message.id;
          const runningId = nextRunning++;
          running.set(runningId, Date.now());
          hosted.lab
            .send(command)
            .then(
              () => send({ op: 'reply', id, ok: true }),
              (error: Error) => send({ op: 'reply', id, ok: false, error: error.message }),
            )
            .finally(() => {
              running.delete(runningId);
              lastHeard = Date.now();
            });
        }
      } catch (error) {
        send({ op: 'error', message: (error as Error).message });
      } finally {
        if (message.op === 'open') busyOpening = false;
      }
    }

    ws.on('close', () => {
      closed = true;
      clearInterval(idleTimer);
      clearInterval(droppedTimer);
      clearInterval(heartbeatTimer);
      if (!hosted) return;
      const ending = hosted;
      hosted = undefined;
      void ending
        .destroy()
        .catch((error: Error) => log({ level: 'error', msg: 'lab tear-down failed', lab: ending.lab.id, error: error.message }))
        .finally(() => {
          labs.delete(ending.lab.id);
          log({ level: 'info', msg: 'lab closed', lab: ending.lab.id, labs: labs.size });
        });
    });
    ws.on('error', () => ws.terminate());
  }

  return {
    labs,
    get closing() {
      return closing;
    },
    isolation,
    limits,
    name: hostName,
    /** Active labs with what they use, for the operations endpoint. */
    async list(): Promise<LabSummary[]> {
      await watchdog.tick();
      return [...labs.values()].map(({ hosted, lesson, openedAt, lastHeard }) => {
        const usage = watchdog.usage(hosted.lab.id);
        return {
          id: hosted.lab.id,
          lesson,
          openedAt: openedAt.toISOString(),
          idleSeconds: Math.round((Date.now() - lastHeard()) / 1000),
          processes: usage?.processes ?? 0,
          memoryMb: Math.round((usage?.rssBytes ?? 0) / 1024 / 1024),
          cpuPercent: usage?.cpuPercent ?? 0,
          files: usage?.files ?? 0,
        };
      });
    },
    async close(): Promise<void> {
      closing = true;
      for (const client of wss.clients) {
        if (client.readyState === client.OPEN) client.send(JSON.stringify({ op: 'closed', code: 'host-shutdown', reason: 'the lab host is shutting down' } satisfies HostMessage));
        client.terminate();
      }
      await Promise.all([...labs.values()].map(({ hosted }) => hosted.destroy()));
      labs.clear();
      watchdog.stop();
      wss.close();
    },
  };
}

export type LabHost = ReturnType<typeof attachLabHost>;
