import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type RunningSite } from '../../playground/server/static-site.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request: the path is sent exactly as given (fetch would normalise ".."). */
function get(site: RunningSite, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const { port } = new URL(site.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let site: RunningSite;
const bigScript = `console.log(${JSON.stringify('stateless '.repeat(500))});\n`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'static-site-'));
  const root = join(dir, 'dist');
  mkdirSync(join(root, 'lessons', 'map-trap'), { recursive: true });
  mkdirSync(join(root, '_astro'));
  mkdirSync(join(root, '.prerender'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>map</title>');
  writeFileSync(join(root, 'lessons', 'map-trap', 'index.html'), '<!doctype html><title>lesson</title>');
  writeFileSync(join(root, '404.html'), '<!doctype html><title>not found page</title>');
  writeFileSync(join(root, '_astro', 'app.js'), bigScript);
  writeFileSync(join(root, '_astro', 'app.css'), 'body{}');
  writeFileSync(join(root, 'diagram.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, '.prerender', 'server.mjs'), 'secret build chunk');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'));
  site = await startStaticServer({ root, port: 0 });
});

afterAll(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('static site server', () => {
  it('serves pages with the cross-origin isolation headers', async () => {
    for (const path of ['/', '/lessons/map-trap/', '/_astro/app.js', '/nope']) {
      const res = await get(site, path);
      expect(res.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(res.headers['cross-origin-resource-policy'], path).toBe('same-origin');
    }
  });

  it('sends the right content types', async () => {
    expect((await get(site, '/')).headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await get(site, '/_astro/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(site, '/_astro/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get(site, '/diagram.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('serves directory index pages and redirects to the trailing slash', async () => {
    const page = await get(site, '/lessons/map-trap/');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('lesson');
    const redirect = await get(site, '/lessons/map-trap?x=1');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe('/lessons/map-trap/?x=1');
  });

  it('answers unknown paths with the 404 page and status 404', async () => {
    const res = await get(site, '/lessons/no-such-lesson/');
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain('not found page');
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/lessons/..%2f..%2fsecret.txt',
    '/%2e%2e%5csecret.txt',
    '/lessons/%00/index.html',
    '/.prerender/server.mjs',
    '/link.txt',
    '/%E0%A4%A',
  ])('does not serve %s', async (path) => {
    const res = await get(site, path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('outside the root');
    expect(res.body.toString()).not.toContain('secret build chunk');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get(site, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const post = await get(site, '/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('compresses text with brotli or gzip and caches hashed assets for good', async () => {
    const br = await get(site, '/_astro/app.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(bigScript);
    const gz = await get(site, '/_astro/app.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(bigScript);
    expect(gz.headers['cache-control']).toContain('immutable');
    expect((await get(site, '/')).headers['cache-control']).toBe('no-cache');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get(site, '/');
    const again = await get(site, '/', { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.headers['cross-origin-embedder-policy']).toBe('require-corp');
  });
});
