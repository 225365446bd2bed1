/**
 * `npm start`: serves the built course on HOST:PORT (default 127.0.0.1:4321), cross-origin isolated, with the
 * lab host. Builds the site first when dist/ has no index.html (or with --build). Settings come from the
 * environment (see playground/server/host-config.ts and README's table).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerJoinLink } from '../playground/server/access.ts';
import { HostConfigError, isLoopback, readHostConfig, type HostConfig } from '../playground/server/host-config.ts';
import { createLog } from '../playground/server/host-log.ts';
import { hostNames, refuseMisdirected } from '../playground/server/host-names.ts';
import { answerLabHostInfo, attachLabHost, reapStaleLabs, type LabHost } from '../playground/server/lab-host.ts';
import { checkLabRoot, chooseIsolation, type IsolationChoice } from '../playground/server/lab-sandbox.ts';
import { describeKernelLimits } from '../playground/server/lab-resources.ts';
import { answerOps } from '../playground/server/ops-endpoints.ts';
import { seccompDescription } from '../playground/server/seccomp-policy.ts';
import { attachRedisRelay, reapStaleRedisDirs, relayOptionsFromEnv, type RedisRelayOptions } from '../playground/server/redis-relay.ts';
import { startStaticServer } from '../playground/server/static-site.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
// SITE_DIR serves an already built site from elsewhere (and never builds); tests use it for a minimal site.
const dist = process.env.SITE_DIR || join(projectRoot, 'dist');

function build(): void {
  console.log('Building the site (astro build)…');
  const astro = join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
  const result = spawnSync(process.execPath, [astro, 'build'], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The site did not build; see the errors above.');
    process.exit(result.status ?? 1);
  }
}

/** The address learners type: the configured host, or this machine's first network address for 0.0.0.0. */
function publicBase(config: HostConfig, port: number): string {
  let host = config.host;
  if (host === '0.0.0.0' || host === '::') {
    const address = Object.values(os.networkInterfaces()).flat().find((info) => info && info.family === 'IPv4' && !info.internal);
    host = address?.address ?? os.hostname();
  }
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

let config: HostConfig;
let isolation: IsolationChoice;
let relayOptions: RedisRelayOptions | undefined;
try {
  config = readHostConfig();
  relayOptions = relayOptionsFromEnv();
  isolation = chooseIsolation(config.isolation);
  checkLabRoot(config.labRoot, isolation);
} catch (error) {
  console.error(error instanceof HostConfigError ? error.message : (error as Error).message);
  process.exit(1);
}

if (process.env.SITE_DIR) {
  if (!existsSync(join(dist, 'index.html'))) {
    console.error(`SITE_DIR=${dist} has no index.html; point it at a built site (the dist/ folder of \`npm run build\`).`);
    process.exit(1);
  }
} else if (process.argv.includes('--build') || !existsSync(join(dist, 'index.html'))) build();

const log = createLog(config.name);
const startedAt = Date.now();
const reaped = { ...(await reapStaleLabs(config.labRoot, isolation.switchUsers)), redisDirs: await reapStaleRedisDirs(config.labRoot) };
if (reaped.dirs + reaped.slots + reaped.redisDirs > 0) log({ level: 'warn', msg: 'cleared labs left by a host that stopped abruptly', ...reaped });

try {
  // GET /lab tells pages that labs can run here. Offline classrooms want the host; LAB_RUNTIME=webcontainer makes
  // pages try the in-browser sandbox first.
  const prefer = process.env.LAB_RUNTIME === 'webcontainer' ? 'webcontainer' : 'server';
  let labs: LabHost | undefined;
  // Hosted Redis for labs that run in the learner's browser (docs/redis-relay.md).
  let relay: ReturnType<typeof attachRedisRelay> | undefined;
  const names = hostNames(config.host, config.publicNames);
  const site = await startStaticServer({
    root: dist,
    host: config.host,
    port: config.port,
    intercept: (req, res) =>
      refuseMisdirected(req, res, names) ||
      answerJoinLink(req, res, config.joinToken) ||
      answerLabHostInfo(req, res, prefer, config.joinToken) ||
      (relay?.answer(req, res) ?? false) ||
      (labs !== undefined && answerOps(req, res, labs, process.env.LAB_ADMIN_TOKEN, startedAt)),
  });
  labs = attachLabHost(site.server, {
    limits: config.limits,
    joinToken: config.joinToken,
    allowedOrigins: config.allowedOrigins,
    isolation,
    labRoot: config.labRoot,
    name: config.name,
    hostNames: names,
    log,
  });
  if (relayOptions) relay = attachRedisRelay(site.server, { ...relayOptions, allowedOrigins: config.allowedOrigins, joinToken: config.joinToken, labRoot: config.labRoot, hostNames: names, log });
  const port = Number(new URL(site.url).port);
  console.log(`Stateless Lab is running at ${site.url}/ (at most ${config.limits.labs} labs at once)`);
  console.log(`Labs: ${isolation.description}; ${describeKernelLimits(config.limits)}.`);
  if (isolation.mode === 'namespaces') console.log(`Lab processes: ${seccompDescription()}.`);
  if (config.joinToken) console.log(`Learners join with: ${publicBase(config, port)}/?join=${config.joinToken}`);
  else if (!isLoopback(config.host)) console.log('Anyone who can reach this address can run labs.');
  log({ msg: 'host started', url: site.url, isolation: isolation.mode, limits: config.limits });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ msg: 'host stopping', signal, labs: labs?.labs.size ?? 0 });
    setTimeout(() => process.exit(1), 15_000).unref();
    void (labs?.close() ?? Promise.resolve())
      .then(() => relay?.close())
      .then(() => site.close())
      .then(() => {
        log({ msg: 'host stopped' });
        process.exit(0);
      });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') console.error(`Port ${config.port} on ${config.host} is already in use. Set PORT to another port, e.g. PORT=4322 npm start.`);
  else console.error(error);
  process.exit(1);
}
