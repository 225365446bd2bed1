/**
 * The lab host's `/lab` endpoint: checks each upgrade (host, origin, join cookie), keeps the registry of labs and
 * the capacity, and hands each connection to a LabConnection.
 */
import os from 'node:os';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { checkUpgrade, hasJoined, refuseUpgrade } from './access.ts';
import { DEFAULT_LIMITS, type LabLimits } from './host-config.ts';
import type { HostedLabContext, SealedRuntime } from './hosted-lab.ts';
import { LabConnection, labRegistry, type LabConnectionContext, type LabEntry } from './lab-connection.ts';
import { reapStaleLabResources } from './lab-resources.ts';
import { sealedNode, sealedPolicy } from './sealed-node.ts';
import { chooseIsolation, type IsolationChoice } from './lab-sandbox.ts';
import { SlotPool } from './lab-slots.ts';
import { LabWatchdog } from './lab-watchdog.ts';
import { LIMITS, type HostMessage } from '../protocol/host-messages.ts';
import { HEARTBEAT_MS } from '../protocol/heartbeat.ts';
import { isolationHeaders } from './static-site.ts';
import { loadLesson } from '../course/lessons.ts';
import { reapStaleLabDirs } from './stale-labs.ts';
import type { HostNames } from './host-names.ts';
import path from 'node:path';

export { originAllowed } from './access.ts';

export const LAB_PATH = '/lab';

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
 * closes, goes idle, or hits a limit that ends it. One connection's life is a LabConnection (lab-connection.ts).
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
  const labs = new Map<string, LabEntry>();
  let closing = false;
  const connectionContext: LabConnectionContext = {
    limits,
    hostedLab: context,
    labs: labRegistry(labs),
    isClosing: () => closing,
    hostName,
    heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
    log,
    loadLesson,
  };

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
    wss.handleUpgrade(req, socket, head, (ws) => new LabConnection(ws, connectionContext));
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
