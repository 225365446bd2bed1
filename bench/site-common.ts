/** Shared by the bench/site-*.ts scripts: Chromium settings and a served build of the site. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startStaticServer } from '../playground/server/static-site.ts';

export const projectRoot = join(import.meta.dirname, '..');
export const dist = join(projectRoot, 'dist');
export { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/lib/chromium.ts';

/** Builds dist/ with astro when it is missing or when `force` is set. */
export function buildSite(force = false): void {
  if (!force && existsSync(join(dist, 'index.html'))) return;
  const astro = join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
  const result = spawnSync(process.execPath, [astro, 'build'], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('astro build failed');
}

/** Uses the given base URL, or serves dist/ on a free port. */
export async function ensureSite(url?: string): Promise<{ url: string; close(): Promise<void> }> {
  if (url) return { url: url.replace(/\/$/, ''), close: async () => {} };
  buildSite(process.argv.includes('--build'));
  return startStaticServer({ root: dist, port: 0 });
}
