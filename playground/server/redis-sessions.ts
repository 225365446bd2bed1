/**
 * Hosted Redis for in-browser labs: each relay session gets its own `redis-server` on a loopback port, started
 * when its first connection arrives and stopped when the session ends, sits idle, or reaches its lifetime.
 *
 * Each server is confined: a memory cap with `noeviction` (writes past it fail with OOM rather than evicting a
 * learner's sessions), caps on what one value and all clients' buffers may take, a kernel limit on its memory
 * (the only bound on Lua scripts), no persistence, a connection cap, and a password on the default user whose
 * ACL denies the admin commands (CONFIG, DEBUG, SHUTDOWN, SAVE, REPLICAOF, MODULE, ACL, MONITOR…) and MIGRATE, so a
 * learner can neither lift the limits nor make Redis itself connect anywhere. Only the relay knows the password, so other
 * code on this machine (including labs run by the lab host) cannot open the server's port either.
 *
 * A `REDIS_URL` given to the lab host is deliberately not shared with learners: see docs/redis-relay.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onPath } from '../lab/redis/provider.js';
import { anyFreePort } from '../lab/ports.js';
import { listBriefs, procAvailable, readProcess, stillRunning } from './proc-scan.ts';

const KEEPER = fileURLToPath(new URL('../lab/redis/server-keeper.js', import.meta.url));

export interface RedisSessionLimits {
  /** redis-server's maxmemory per session (default 32mb). */
  maxmemory?: string;
  /** End a session that has had no open connection for this long (default 10 minutes). */
  idleMs?: number;
  /** End a session this long after it was created, whatever it is doing (default 4 hours). */
  maxLifetimeMs?: number;
  /** At most this many sessions at once (default 20). */
  maxSessions?: number;
  /** At most this many sessions at once for one client address (default 3). */
  maxSessionsPerClient?: number;
  /** At most this many relayed connections per session (default 64); redis-server gets a little more. */
  maxConnections?: number;
}

export interface RedisSessionOptions extends RedisSessionLimits {
  /**
   * What takes redis-server down if this process dies: `setpriv --pdeathsig` (the kernel does it; the default when
   * setpriv is installed) or the lab's keeper process.
   */
  launcher?: 'setpriv' | 'keeper';
  /** The lab host's LAB_ROOT: session folders go in a folder of this host there (default $TMPDIR/stateless-lab). */
  labRoot?: string;
}

export interface HostedRedis {
  port: number;
  password: string;
  pid: number | undefined;
}

export interface RedisSession {
  readonly id: string;
  readonly createdAt: number;
  /** Open relayed connections. */
  connections: number;
  /** Connections relayed so far. */
  connectionsTotal: number;
  /** Set once the session's redis-server has been started. */
  server: HostedRedis | undefined;
}

interface Entry {
  session: RedisSession;
  starting: Promise<HostedRedis> | undefined;
  child: ChildProcess | undefined;
  exited: Promise<void> | undefined;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  lifeTimer: ReturnType<typeof setTimeout>;
  dir: string | undefined;
  /** Who created the session (its address), for the per-client cap. */
  client: string;
}

export class RedisSessionError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const run = promisify(execFile);

const MB = 1024 * 1024;
const UNITS: Record<string, number> = { '': 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: MB, g: 1000 ** 3, gb: 1024 * MB };

/** redis's memory notation (32mb, 1gb, 1048576) in bytes; NaN for anything else. */
export function memoryBytes(text: string): number {
  const match = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  return match ? Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]! : NaN;
}

export interface ServerBounds {
  /** proto-max-bulk-len: the largest value one command may make, which also bounds SETRANGE and SETBIT offsets. */
  bulkBytes: number;
  /** maxmemory-clients: all clients' buffers together; past it, the clients using the most are disconnected. */
  clientsBytes: number;
  /** RLIMIT_DATA of the process: the only bound on what a Lua script allocates. */
  dataBytes: number;
}

/** What a server with this maxmemory may take besides its keys (figures in docs/redis-relay.md). */
export function serverBounds(maxmemoryBytes: number): ServerBounds {
  const bulkBytes = Math.max(MB, Math.floor(maxmemoryBytes / 4));
  // An idle redis-server 7.0 has about 44 MB of writable mappings (thread stacks, jemalloc's arenas).
  return { bulkBytes, clientsBytes: 4 * bulkBytes, dataBytes: 64 * MB + 4 * maxmemoryBytes };
}

const HOST_DIR = /^redis-host-(\d+)-(\d+)$/;
let ownStartTicks: number | undefined;

/** The name of this host process's folder of session folders: its pid and start time tell a reused pid apart. */
function hostDirName(): string {
  ownStartTicks ??= readProcess(process.pid)?.startTicks ?? 0;
  return `redis-host-${process.pid}-${ownStartTicks}`;
}

/**
 * Remove the hosted-Redis folders of host processes that are gone (a host killed with SIGKILL cannot clean up).
 * Only the folder's name is trusted, never its content; links and files are left alone. Returns how many went.
 */
export async function reapStaleRedisDirs(labRoot: string): Promise<number> {
  if (!procAvailable) return 0; // without /proc a live host cannot be told from a dead one
  const names = await fs.promises.readdir(labRoot).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const owner = HOST_DIR.exec(name);
    if (!owner || stillRunning(Number(owner[1]), Number(owner[2]))) continue;
    const dir = path.join(labRoot, name);
    const stat = await fs.promises.lstat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) continue;
    try {
      await fs.promises.rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // another user's folder: not ours to remove
    }
  }
  return removed;
}

export class RedisSessions {
  readonly limits: Required<RedisSessionLimits>;
  private entries = new Map<string, Entry>();
  private closed = false;
  private readonly log: (entry: { msg: string; [key: string]: unknown }) => void;
  private readonly launcher: 'setpriv' | 'keeper';
  readonly bounds: ServerBounds;
  /** Whether prlimit is installed to put the kernel limit on each server. */
  private readonly prlimit: boolean;
  private readonly labRoot: string;

  constructor(limits: RedisSessionOptions = {}, log: (entry: { msg: string; [key: string]: unknown }) => void = () => undefined) {
    this.limits = {
      maxmemory: limits.maxmemory ?? '32mb',
      idleMs: limits.idleMs ?? 10 * 60_000,
      maxLifetimeMs: limits.maxLifetimeMs ?? 4 * 60 * 60_000,
      maxSessions: limits.maxSessions ?? 20,
      maxSessionsPerClient: limits.maxSessionsPerClient ?? 3,
      maxConnections: limits.maxConnections ?? 64,
    };
    const maxmemory = memoryBytes(this.limits.maxmemory);
    if (!(maxmemory >= MB)) throw new Error(`a hosted Redis needs a maxmemory of at least 1mb, got "${this.limits.maxmemory}"`);
    this.bounds = serverBounds(maxmemory);
    this.log = log;
    this.launcher = limits.launcher ?? (onPath('setpriv') ? 'setpriv' : 'keeper');
    this.labRoot = limits.labRoot ?? path.join(os.tmpdir(), 'stateless-lab');
    this.prlimit = onPath('prlimit');
    if (!this.prlimit && RedisSessions.available()) {
      log({ level: 'warn', msg: 'redis relay: prlimit (util-linux) is not installed, so hosted redis-servers have no kernel memory limit and a Lua script can take any amount of memory' });
    }
  }

  /** Whether hosted Redis can be offered at all (redis-server is installed). */
  static available(): boolean {
    return onPath('redis-server');
  }

  get size(): number {
    return this.entries.size;
  }

  /** A new session for this client (its address); the token is its only credential and is not stored (only its hash is). */
  create(client = 'local'): { token: string; session: RedisSession } {
    if (this.closed) throw new RedisSessionError(503, 'the lab host is shutting down');
    if (!RedisSessions.available()) throw new RedisSessionError(503, 'this lab host has no redis-server installed, so it cannot host Redis');
    const perClient = this.limits.maxSessionsPerClient;
    if (this.sessionsOf(client) >= perClient) {
      throw new RedisSessionError(429, `your address ${client} already has ${perClient} hosted Redis sessions on this lab host, the most one address may have: close another lab tab or stop its lab to end one, then try again`);
    }
    if (this.entries.size >= this.limits.maxSessions) {
      throw new RedisSessionError(503, `the lab host already hosts ${this.limits.maxSessions} Redis sessions; try again in a minute`);
    }
    const token = randomBytes(24).toString('base64url');
    const session: RedisSession = { id: randomBytes(6).toString('hex'), createdAt: Date.now(), connections: 0, connectionsTotal: 0, server: undefined };
    const key = hash(token);
    const entry: Entry = {
      session, starting: undefined, child: undefined, exited: undefined, idleTimer: undefined, dir: undefined, client,
      lifeTimer: setTimeout(() => void this.endEntry(key, 'lifetime'), this.limits.maxLifetimeMs),
    };
    entry.lifeTimer.unref();
    this.entries.set(key, entry);
    this.armIdle(key, entry);
    this.log({ msg: 'redis session created', session: session.id, client, sessions: this.entries.size });
    return { token, session };
  }

  /** The session a token belongs to, if it is still alive. */
  get(token: string | null | undefined): RedisSession | undefined {
    if (!token) return undefined;
    return this.entries.get(hash(token))?.session;
  }

  /**
   * Count a new relayed connection and return the session's Redis, starting it on first use. Throws a
   * RedisSessionError for an unknown token or a session at its connection limit.
   */
  async connect(token: string): Promise<{ server: HostedRedis; release: () => void }> {
    const key = hash(token);
    const entry = this.entries.get(key);
    if (!entry) throw new RedisSessionError(401, 'unknown or ended Redis session');
    if (entry.session.connections >= this.limits.maxConnections) {
      throw new RedisSessionError(429, `this Redis session already has ${this.limits.maxConnections} connections open`);
    }
    entry.session.connections++;
    entry.session.connectionsTotal++;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.session.connections--;
      if (entry.session.connections === 0 && this.entries.get(key) === entry) this.armIdle(key, entry);
    };
    try {
      entry.starting ??= this.startServer(key, entry);
      return { server: await entry.starting, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** End a session now (the page's lab ended). Returns false for an unknown token. */
  async end(token: string): Promise<boolean> {
    const key = hash(token);
    if (!this.entries.has(key)) return false;
    await this.endEntry(key, 'ended');
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.keys()].map((key) => this.endEntry(key, 'shutdown')));
    try {
      fs.rmdirSync(path.join(this.labRoot, hostDirName()));
    } catch {
      // never made, or still holding the sessions of another RedisSessions in this process
    }
  }

  private sessionsOf(client: string): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.client === client) count++;
    return count;
  }

  /** This host's folder under labRoot; one already there must be a real folder of this user. */
  private hostDir(): string {
    const dir = path.join(this.labRoot, hostDirName());
    fs.mkdirSync(this.labRoot, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== (process.getuid?.() ?? stat.uid)) throw new Error(`${dir} is not this lab host's folder`);
    }
    return dir;
  }

  private armIdle(key: string, entry: Entry): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => void this.endEntry(key, 'idle'), this.limits.idleMs);
    entry.idleTimer.unref();
  }

  private async endEntry(key: string, why: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    clearTimeout(entry.lifeTimer);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    await entry.starting?.catch(() => undefined);
    await stopChild(entry);
    if (entry.dir) fs.rmSync(entry.dir, { recursive: true, force: true });
    this.log({ msg: 'redis session ended', session: entry.session.id, why, connections: entry.session.connectionsTotal, sessions: this.entries.size });
  }

  private async startServer(key: string, entry: Entry): Promise<HostedRedis> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.entries.get(key) !== entry) throw new RedisSessionError(401, 'the Redis session ended');
      try {
        const server = await this.spawnServer(entry);
        entry.session.server = server;
        this.log({ msg: 'redis session server up', session: entry.session.id, port: server.port });
        return server;
      } catch (error) {
        lastError = error as Error;
        await stopChild(entry);
      }
    }
    throw new RedisSessionError(503, `could not start this session's Redis: ${lastError?.message ?? 'unknown error'}`);
  }

  private async spawnServer(entry: Entry): Promise<HostedRedis> {
    const port = await anyFreePort();
    const password = randomBytes(24).toString('hex');
    entry.dir ??= fs.mkdtempSync(path.join(this.hostDir(), 'session-'));
    // A crashed host must leave no servers behind: setpriv makes the kernel kill redis-server when this process
    // dies; without setpriv, the lab's keeper process (a Node process, ~45 MB) watches for that instead.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', this.limits.maxmemory,
      '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes', '--loglevel', 'warning', '--daemonize', 'no'];
    const [file, argv] = this.launcher === 'setpriv'
      ? ['setpriv', ['--pdeathsig', 'KILL', ...this.limitedRedis(), '-', ...args]]
      : [process.execPath, [KEEPER, String(port), this.limits.maxmemory, '--config-stdin']];
    // retain:false makes jemalloc unmap what it frees; otherwise the kernel limit counts every extent it ever mapped.
    const env = { ...process.env, MALLOC_CONF: 'retain:false' };
    const child = spawn(file, argv, { cwd: entry.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    entry.child = child;
    let output = '';
    let outOfMemory: string | undefined;
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      outOfMemory ??= /Out Of Memory[^\r\n]*/.exec(output)?.[0];
      output = output.slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    entry.exited = new Promise((resolve) => child.on('close', () => resolve()));
    void entry.exited.then(() => {
      // A server that died on its own (such as at its memory limit) is started afresh by the session's next connection.
      if (entry.child !== child || !entry.session.server) return;
      entry.child = undefined;
      entry.starting = undefined;
      entry.session.server = undefined;
      this.log({ level: 'warn', msg: 'redis session server exited', session: entry.session.id, code: child.exitCode, signal: child.signalCode, reason: outOfMemory });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(
      [
        `user default on >${password} ~* &* +@all -@admin -migrate`,
        `maxclients ${this.limits.maxConnections + 8}`,
        `proto-max-bulk-len ${this.bounds.bulkBytes}`,
        `maxmemory-clients ${this.bounds.clientsBytes}`,
        `dir ${JSON.stringify(entry.dir)}`,
        '',
      ].join('\n'),
    );
    const exitedEarly = entry.exited.then(() => {
      throw new Error(output.trim().split('\n').slice(-2).join(' | ') || 'redis-server exited at start');
    });
    await Promise.race([waitForRedis(port, 10_000), exitedEarly]);
    if (this.launcher === 'keeper' && this.prlimit) await limitKeptServer(child, this.bounds.dataBytes);
    return { port, password, pid: child.pid };
  }

  /** redis-server's command, under the kernel's memory limit when prlimit is installed. */
  private limitedRedis(): string[] {
    return this.prlimit ? ['prlimit', `--data=${this.bounds.dataBytes}`, 'redis-server'] : ['redis-server'];
  }
}

/** The keeper starts redis-server itself, so its limit is set once it runs, before any learner's command reaches it. */
async function limitKeptServer(keeper: ChildProcess, dataBytes: number): Promise<void> {
  const server = listBriefs().find((brief) => brief.ppid === keeper.pid);
  if (!server) throw new Error("the keeper's redis-server was not found");
  await run('prlimit', ['--pid', String(server.pid), `--data=${dataBytes}`]);
}

async function stopChild(entry: Entry): Promise<void> {
  const child = entry.child;
  entry.child = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await entry.exited;
  clearTimeout(timer);
}

/** Resolve once redis-server answers on the port (with NOAUTH, since it needs a password). */
async function waitForRedis(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(1000, () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
