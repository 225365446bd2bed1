/**
 * `npm start`: serves the built course on HOST:PORT (default 127.0.0.1:4321), cross-origin
 * isolated. Builds the site first when dist/ has no index.html (or with --build).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerLabHostInfo, attachLabHost } from '../playground/server/lab-host.ts';
import { startStaticServer } from '../playground/server/static-site.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(projectRoot, 'dist');

function build(): void {
  console.log('Building the site (astro build)…');
  const astro = join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
  const result = spawnSync(process.execPath, [astro, 'build'], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The site did not build; see the errors above.');
    process.exit(result.status ?? 1);
  }
}

if (process.argv.includes('--build') || !existsSync(join(dist, 'index.html'))) build();

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 4321);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0-65535), got "${process.env.PORT}".`);
  process.exit(1);
}

try {
  // The lab host answers GET /lab before the site does, so pages know labs can run here. Offline classrooms want
  // the host; LAB_RUNTIME=webcontainer makes pages try the in-browser sandbox first.
  const prefer = process.env.LAB_RUNTIME === 'webcontainer' ? 'webcontainer' : 'server';
  const site = await startStaticServer({ root: dist, host, port, intercept: (req, res) => answerLabHostInfo(req, res, prefer) });
  const labs = attachLabHost(site.server, {
    maxLabs: Number(process.env.MAX_LABS || 20),
    log: (entry) => console.log(JSON.stringify({ time: new Date().toISOString(), ...entry })),
  });
  console.log(`Stateless Lab is running at ${site.url}/ (labs run on this machine, at most ${Number(process.env.MAX_LABS || 20)} at once)`);
  const stop = () => {
    void labs.close().then(() => site.close()).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') console.error(`Port ${port} on ${host} is already in use. Set PORT to another port, e.g. PORT=4322 npm start.`);
  else console.error(error);
  process.exit(1);
}
