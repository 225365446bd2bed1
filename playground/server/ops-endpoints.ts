/**
 * Endpoints for whoever runs the host: GET /health for balancers and monitors (no secrets, always public), and
 * GET /admin/labs listing active labs with what they use, for loopback callers or with LAB_ADMIN_TOKEN.
 */
import type http from 'node:http';
import os from 'node:os';
import { bearerToken, sameSecret } from './access.ts';
import type { LabHost } from './lab-host.ts';

export const HEALTH_PATH = '/health';
export const ADMIN_LABS_PATH = '/admin/labs';

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body, null, 2));
}

function fromLoopback(req: http.IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  // A request relayed by a proxy on this machine is not a local caller.
  return (address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1') && req.headers['x-forwarded-for'] === undefined;
}

function bearerMatches(req: http.IncomingMessage, token: string | undefined): boolean {
  return token !== undefined && sameSecret(bearerToken(req), token);
}

export function answerOps(req: http.IncomingMessage, res: http.ServerResponse, host: LabHost, adminToken: string | undefined, startedAt = Date.now()): boolean {
  const url = new URL(req.url ?? '/', 'http://host');
  if (req.method !== 'GET') return false;
  if (url.pathname === HEALTH_PATH) {
    json(res, host.closing ? 503 : 200, {
      ok: !host.closing,
      host: host.name,
      isolation: host.isolation.mode,
      labs: host.labs.size,
      maxLabs: host.limits.labs,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
      freeMemoryMb: Math.round(os.freemem() / 1024 / 1024),
    });
    return true;
  }
  if (url.pathname === ADMIN_LABS_PATH) {
    if (!fromLoopback(req) && !bearerMatches(req, adminToken)) {
      json(res, 403, { error: 'the lab list is for the machine itself or callers with LAB_ADMIN_TOKEN (Authorization: Bearer …)' });
      return true;
    }
    void host.list().then(
      (labs) => json(res, 200, { host: host.name, isolation: host.isolation.description, limits: host.limits, labs }),
      (error: Error) => json(res, 500, { error: error.message }),
    );
    return true;
  }
  return false;
}
