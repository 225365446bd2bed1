// @ts-check
/**
 * Process entry: runs `redis-server` as a child and guarantees it dies with the supervisor. redis-server cannot
 * notice its parent dying, so this small Node process watches for that and takes it down.
 * argv: <port> <maxmemory> [--config-stdin]. With --config-stdin, extra configuration lines (a password, ACL
 * rules…) are read from this process's stdin and handed to redis-server on its stdin, so they never show in a
 * process listing.
 */
import { spawn } from 'node:child_process';

const [port = '0', maxmemory = '64mb', option] = process.argv.slice(2);
const configFromStdin = option === '--config-stdin';
const child = spawn(
  'redis-server',
  [...(configFromStdin ? ['-'] : []), '--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', maxmemory,
    '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes', '--loglevel', 'warning', '--daemonize', 'no'],
  { stdio: [configFromStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] },
);
if (configFromStdin && child.stdin) {
  child.stdin.on('error', () => undefined);
  process.stdin.pipe(child.stdin);
}

// redis-server prints a start-up banner and host tuning advice even at loglevel warning; a learner needs neither.
const NOISE = /Reading config from stdin|oO0OoO0OoO0Oo|Redis version=|Configuration loaded|Server initialized|Memory overcommit|overcommit_memory|jemalloc/;
for (const [from, to] of /** @type {const} */ ([[child.stdout, process.stdout], [child.stderr, process.stderr]])) {
  let partial = '';
  from?.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (!NOISE.test(line)) to.write(line + '\n');
  });
}

const parent = process.ppid;
const stopChild = () => child.kill('SIGKILL');
const watch = setInterval(() => {
  if (process.ppid !== parent) { stopChild(); process.exit(0); }
}, 200);
child.on('error', (error) => { console.error(`could not start redis-server: ${error.message}`); process.exit(1); });
child.on('exit', (code, signal) => {
  clearInterval(watch);
  process.exit(signal ? 1 : code ?? 1);
});
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) process.on(signal, () => child.kill('SIGTERM'));
process.on('exit', stopChild);
