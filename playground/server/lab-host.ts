import fs from 'node:fs/promises';
import os from 'node:os';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LabProcess } from './lab-process.ts';
import { parseClientMessage, LIMITS, type HostMessage } from './lab-protocol.ts';
import { startCommand } from '../runtime/start-command.ts';
import { isolationHeaders } from './static-site.ts';
import { loadLesson } from './lessons.ts';

export const LAB_PATH = '/lab';

export interface LabHostOptions {
  /** Origins allowed to open labs besides the host's own (e.g. a dev server). */
  allowedOrigins?: string[];
  maxLabs?: number;
  /** Names this host in `opened` messages and logs; defaults to hostname:pid. */
  name?: string;
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * GET /lab (not an upgrade): tells the page this site has a lab host and which runtime to prefer. Returns true
 * when it answered the request.
 */
export function answerLabHostInfo(req: http.IncomingMessage, res: http.ServerResponse, prefer: 'server' | 'webcontainer' = 'server'): boolean {
  const url = new URL(req.url ?? '/', 'http://host');
  if (url.pathname !== LAB_PATH || req.method !== 'GET') return false;
  res.writeHead(200, { ...isolationHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ labHost: true, prefer }));
  return true;
}

/** Same-origin check: the page that opens the socket must come from this host (or an allowed origin). */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[] = []): boolean {
  if (!origin || !host) return false;
  if (allowed.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  } catch {
    return false;
  }
}

/**
 * Serve labs over a WebSocket at /lab on an existing HTTP server. Each connection gets its own lab (its own
 * directory and processes); the lab is destroyed when the connection closes.
 */
export function attachLabHost(server: http.Server, options: LabHostOptions = {}) {
  const maxLabs = options.maxLabs ?? 20;
  const log = options.log ?? (() => undefined);
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.messageBytes });
  const labs = new Set<LabProcess>();
  const hostName = options.name ?? `${os.hostname()}:${process.pid}`;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname !== LAB_PATH) return;
    if (!originAllowed(req.headers.origin, req.headers.host, options.allowedOrigins)) {
      log({ msg: 'refused lab connection', reason: 'origin', origin: req.headers.origin ?? null });
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThis lab host only accepts pages it served itself.\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  });

  function serve(ws: WebSocket): void {
    let lab: LabProcess | undefined;
    let settings: ReturnType<typeof startCommand> | undefined;
    let opening = false;
    let closed = false;
    const send = (message: HostMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };

    // Messages are handled in arrival order (a write lands before the deploy sent after it); command replies
    // are not waited for, so a user action is not stuck behind a long check.
    let queue = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      queue = queue.then(() => handle(data.toString(), isBinary));
    });

    async function handle(data: string, isBinary: boolean): Promise<void> {
      if (isBinary) return send({ op: 'error', message: 'binary frames are not part of the lab protocol' });
      const parsed = parseClientMessage(data);
      if (!parsed.ok) return send({ op: 'error', message: parsed.error });
      const message = parsed.message;
      try {
        if (message.op === 'open') {
          if (lab || opening) return send({ op: 'error', message: 'this connection already has a lab' });
          if (labs.size >= maxLabs) return send({ op: 'error', message: `the lab host is full (${maxLabs} labs running); try again in a minute` });
          opening = true;
          const lesson = await loadLesson(message.lesson);
          const created = await LabProcess.create({ files: message.files, checksSource: await fs.readFile(lesson.checksFile, 'utf8') });
          labs.add(created);
          if (closed) {
            labs.delete(created);
            await created.destroy();
            return;
          }
          lab = created;
          settings = startCommand(lesson.meta.lab);
          created.on('event', (event) => send({ op: 'event', event }));
          created.on('exit', (code, signal) => {
            send({ op: 'closed', code: 'supervisor-exit', reason: `the lab supervisor exited (${signal ?? `code ${code}`})` });
            ws.close(1011, 'lab ended');
          });
          log({ msg: 'lab opened', lab: created.id, lesson: lesson.slug, labs: labs.size });
          send({ op: 'opened', labId: created.id, lesson: lesson.slug, host: hostName });
        } else if (message.op === 'write') {
          if (!lab) return send({ op: 'error', message: 'open a lab before writing files' });
          await lab.writeFiles(message.files);
        } else {
          if (!lab) return send({ op: 'reply', id: message.id, ok: false, error: 'open a lab before sending commands' });
          // A lab starts with the settings of the server's copy of the lesson, whatever the page says.
          const command = message.command.type === 'start' && settings ? settings : (message.command as { type: string });
          const id = message.id;
          lab.send(command).then(
            () => send({ op: 'reply', id, ok: true }),
            (error: Error) => send({ op: 'reply', id, ok: false, error: error.message }),
          );
        }
      } catch (error) {
        send({ op: 'error', message: (error as Error).message });
      } finally {
        if (message.op === 'open') opening = false;
      }
    }

    ws.on('close', () => {
      closed = true;
      if (!lab) return;
      const ending = lab;
      lab = undefined;
      void ending.destroy().finally(() => {
        labs.delete(ending);
        log({ msg: 'lab closed', lab: ending.id, labs: labs.size });
      });
    });
    ws.on('error', () => ws.terminate());
  }

  return {
    labs,
    async close(): Promise<void> {
      for (const client of wss.clients) {
        if (client.readyState === client.OPEN) client.send(JSON.stringify({ op: 'closed', code: 'host-shutdown', reason: 'the lab host is shutting down' } satisfies HostMessage));
        client.terminate();
      }
      await Promise.all([...labs].map((lab) => lab.destroy()));
      labs.clear();
      wss.close();
    },
  };
}
