/**
 * Serves the built site (Astro's dist/) over node:http, cross-origin isolated.
 *
 * `createStaticSite({ root })` returns a request handler, so a bigger server (the lab host,
 * with its WebSocket endpoint) can mount it next to its own routes:
 *
 *   const site = createStaticSite({ root: 'dist' });
 *   const server = http.createServer((req, res) => { if (!myRoute(req, res)) void site(req, res); });
 *
 * `startStaticServer()` is the stand-alone version used by `npm start`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

/** Headers that make a page cross-origin isolated (needed for SharedArrayBuffer / WebContainer). */
export const isolationHeaders: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  // The in-browser runtime's prebuilt file system (msgpack): mostly JavaScript, so it compresses well.
  '.snapshot': 'application/vnd.stateless-lab.snapshot',
};

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json|wasm|vnd\.stateless-lab\.snapshot)|image\/svg\+xml)/;

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticSiteOptions {
  /** Directory to serve, usually the project's dist/. */
  root: string;
  /** Extra headers for every response (added after the isolation headers). */
  headers?: Record<string, string>;
  /** Page served with status 404, relative to root. Default "404.html". */
  notFoundPage?: string;
  /** Compress text responses with brotli or gzip when the client accepts it. Default true. */
  compress?: boolean;
}

export type StaticSiteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

/** Returns a handler that answers every request it gets from the files under `root`. */
export function createStaticSite(options: StaticSiteOptions): StaticSiteHandler {
  const root = resolve(options.root);
  const notFoundPage = options.notFoundPage ?? '404.html';
  const compress = options.compress ?? true;
  const baseHeaders: Record<string, string> = {
    ...isolationHeaders,
    'X-Content-Type-Options': 'nosniff',
    ...options.headers,
  };
  const cache = new Map<string, CachedFile>();
  let realRoot: Promise<string> | undefined;

  /** Resolves a URL path to a file inside root, or null. Rejects traversal and hidden files. */
  const locate = async (pathname: string): Promise<{ file: string } | { redirect: string } | null> => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return null;
    const segments = decoded.split('/');
    if (segments.some((s) => s === '..' || (s.startsWith('.') && s !== '.well-known'))) return null;
    const candidate = join(root, decoded);
    if (candidate !== root && !candidate.startsWith(root + sep)) return null;

    let target = candidate;
    let info = await stat(target).catch(() => null);
    if (info?.isDirectory()) {
      if (!pathname.endsWith('/')) return { redirect: `${pathname}/` };
      target = join(target, 'index.html');
      info = await stat(target).catch(() => null);
    }
    if (!info?.isFile()) return null;

    // Symlinks must not lead out of root either.
    realRoot ??= realpath(root);
    const real = await realpath(target).catch(() => null);
    const base = await realRoot;
    if (!real || (real !== base && !real.startsWith(base + sep))) return null;
    return { file: target };
  };

  const load = async (file: string): Promise<CachedFile> => {
    const info = await stat(file);
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit;
    const entry: CachedFile = { mtimeMs: info.mtimeMs, size: info.size, body: await readFile(file) };
    if (cache.size > 500) cache.clear();
    cache.set(file, entry);
    return entry;
  };

  const encode = (entry: CachedFile, type: string, accept: string): { body: Buffer; encoding?: string } => {
    if (!compress || entry.size < 1024 || !COMPRESSIBLE.test(type)) return { body: entry.body };
    if (/\bbr\b/.test(accept)) {
      entry.br ??= brotliCompressSync(entry.body, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: entry.size },
      });
      return { body: entry.br, encoding: 'br' };
    }
    if (/\bgzip\b/.test(accept)) {
      entry.gzip ??= gzipSync(entry.body, { level: 9 });
      return { body: entry.gzip, encoding: 'gzip' };
    }
    return { body: entry.body };
  };

  const send = async (req: IncomingMessage, res: ServerResponse, file: string, status: number) => {
    const entry = await load(file);
    const type = contentType(file);
    const etag = `W/"${entry.size.toString(16)}-${Math.floor(entry.mtimeMs).toString(16)}"`;
    const relative = file.slice(root.length).split(sep).join('/');
    const headers: Record<string, string> = {
      ...baseHeaders,
      'Content-Type': type,
      'Cache-Control': relative.startsWith('/_astro/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: etag,
      Vary: 'Accept-Encoding',
    };
    if (status === 200 && req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const { body, encoding } = encode(entry, type, String(req.headers['accept-encoding'] ?? ''));
    if (encoding) headers['Content-Encoding'] = encoding;
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const plain = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', ...extra });
    res.end(`${text}\n`);
  };

  const notFound = async (req: IncomingMessage, res: ServerResponse) => {
    const page = join(root, notFoundPage);
    const exists = await stat(page).then((s) => s.isFile(), () => false);
    if (exists) await send(req, res, page, 404);
    else plain(res, 404, 'Not found');
  };

  return async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        plain(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const found = await locate(url.pathname);
      if (!found) {
        await notFound(req, res);
      } else if ('redirect' in found) {
        res.writeHead(308, { ...baseHeaders, Location: found.redirect + url.search, 'Cache-Control': 'no-cache' });
        res.end();
      } else {
        await send(req, res, found.file, 200);
      }
    } catch (error) {
      if (res.headersSent) {
        res.destroy(error as Error);
      } else {
        plain(res, 500, 'Internal server error');
      }
    }
  };
}

export interface StartOptions extends StaticSiteOptions {
  /** Answers some requests before the site does (e.g. the lab host's GET /lab); returns true when it did. */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Default 4321. */
  port?: number;
}

export interface RunningSite {
  server: Server;
  /** e.g. "http://127.0.0.1:4321" (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/** Starts a plain HTTP server for the site and resolves once it listens. */
export async function startStaticServer(options: StartOptions): Promise<RunningSite> {
  const handler = createStaticSite(options);
  const server = createServer((req, res) => {
    let answered: boolean | undefined;
    try {
      answered = options.intercept?.(req, res);
    } catch {
      // No request may take the server down, whatever its headers or target hold.
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('This request could not be read.\n');
      return;
    }
    if (!answered) void handler(req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 4321, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
