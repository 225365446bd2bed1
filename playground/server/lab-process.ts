/**
 * One lab on this machine: its own folder (learner files in app/, the checks), a supervisor in its own process
 * group, its events read and checked line by line, commands matched to their replies, and a teardown that leaves
 * nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineSplitter } from '../protocol/line-splitter.ts';
import { PendingReplies } from '../protocol/pending-replies.ts';
import { writeConfined } from './confined-files.ts';
import { removeOwner, writeOwner } from './stale-labs.ts';
import type { LabCommand } from '../protocol/lab-commands.ts';
import { parseLabEvent, type LabEvent } from '../protocol/lab-events.ts';
import type { LabFile } from '../protocol/lab-file.ts';

export const SUPERVISOR = fileURLToPath(new URL('../lab/supervisor.js', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
/** The longest line the host reads from a supervisor: events are far smaller; anything longer is not one. */
const MAX_EVENT_CHARS = 2 * 1024 * 1024;
const MAX_STDERR_CHARS = 16 * 1024;

export interface LabProcessOptions {
  files: LabFile[];
  checksSource?: string;
  /** Balancer port; 0 picks a free one. */
  port?: number;
  /** auto | redis-server | js | url */
  redis?: string;
  env?: Record<string, string>;
  root?: string;
  /** How the lab host confines the lab; without it the supervisor runs as a plain child (CLIs, tests). */
  launch?: LabLaunch;
}

export interface LabLaunch {
  /** Wrap the supervisor's command line (sandbox, kernel limits); returns the program, its arguments and extra env. */
  wrap(dir: string, command: string[]): { file: string; args: string[]; env: Record<string, string>; fds?: number[] };
  /** The environment the supervisor starts from, instead of the host's own. */
  baseEnv(dir: string): Record<string, string>;
  /** The user the lab runs as: its app folder and files are given to that user. */
  uid?: number;
  /** The Node binary the supervisor runs on (a copy learner code cannot read, see sealed-node.ts); default this one. */
  node?: string;
  /** Called once the app folder exists, before anything is written into it (the lab's own disk is mounted here). */
  prepareApp?(appDir: string): Promise<void>;
}

/**
 * Runs one lab on this machine: a private working directory holding the learner's files and the checks, and a
 * supervisor process in its own process group. Events arrive as 'event'; `send` returns when the supervisor
 * replies to that command.
 */
export class LabProcess extends EventEmitter<{ event: [LabEvent]; exit: [number | null, NodeJS.Signals | null]; stderr: [string] }> {
  readonly id: string;
  readonly dir: string;
  private child: ChildProcess | undefined;
  private replies = new PendingReplies();
  private exited: Promise<void> | undefined;
  private readonly uid: number | undefined;
  /** Writes run one after another, and tear-down waits for the last one, so removal never races a write. */
  private writing: Promise<void> = Promise.resolve();
  private ending = false;
  balancerPort = 0;

  private constructor(id: string, dir: string, uid: number | undefined) {
    super();
    this.id = id;
    this.dir = dir;
    this.uid = uid;
  }

  static async create(options: LabProcessOptions): Promise<LabProcess> {
    const root = options.root ?? path.join(os.tmpdir(), 'stateless-lab');
    // Other users may pass through the root (a lab running as its own user must reach its folder) but not list it.
    await fs.mkdir(root, { recursive: true, mode: 0o711 });
    if (options.launch?.uid !== undefined) await fs.chmod(root, 0o711);
    const dir = await fs.mkdtemp(path.join(root, 'lab-'));
    const uid = options.launch?.uid;
    const lab = new LabProcess(path.basename(dir), dir, uid);
    const appDir = path.join(dir, 'app');
    try {
      // Records this process as the owner, so a host starting after a crash knows the folder is stale.
      await writeOwner(root, lab.id);
      // The lab folder stays the host's: a lab running as its own user may change app/ and nothing beside it
      // (not the checks, not the packages link, not app/ itself).
      await fs.chmod(dir, 0o755);
      await fs.mkdir(appDir, { mode: 0o700 });
      await options.launch?.prepareApp?.(appDir);
      await fs.symlink(NODE_MODULES, path.join(dir, 'node_modules'), 'dir');
      if (uid !== undefined) await fs.chown(appDir, uid, uid);
      await lab.writeFiles(options.files);
      if (options.checksSource !== undefined) await fs.writeFile(path.join(dir, 'checks.js'), options.checksSource, { mode: 0o644 });
      lab.spawn(options);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Write learner files into the lab's app folder, refusing paths (and symbolic links) that lead out of it. */
  writeFiles(files: LabFile[]): Promise<void> {
    if (this.ending) return Promise.reject(new Error('the lab is closing, so the files were not written'));
    const run = this.writing.then(async () => {
      for (const file of files) await writeConfined(this.dir, 'app', file.path, file.content, this.uid);
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  private spawn(options: LabProcessOptions): void {
    const command = [options.launch?.node ?? process.execPath, SUPERVISOR];
    const wrapped: { file: string; args: string[]; env: Record<string, string>; fds?: number[] } = options.launch
      ? options.launch.wrap(this.dir, command)
      : { file: command[0]!, args: command.slice(1), env: {} };
    let child: ChildProcess;
    try {
      child = spawn(wrapped.file, wrapped.args, {
        cwd: this.dir,
        detached: true,
        // Descriptors the sandbox reads at start (the seccomp program) become fds 3, 4…
        stdio: ['pipe', 'pipe', 'pipe', ...(wrapped.fds ?? [])],
        env: {
          ...(options.launch ? options.launch.baseEnv(this.dir) : process.env),
          ...options.env,
          ...wrapped.env,
          LAB_ID: this.id,
          LAB_PORT: String(options.port ?? 0),
          LAB_REDIS: options.redis ?? process.env.LAB_REDIS ?? 'auto',
        },
      });
    } finally {
      // The child has its own copies now.
      for (const fd of wrapped.fds ?? []) closeSync(fd);
    }
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.replies.rejectAll(`the lab supervisor exited (${signal ?? code}) before replying`);
        this.emit('exit', code, signal);
        resolve();
      });
    });
    this.readLines(child.stdout!, MAX_EVENT_CHARS, (line) => this.receive(line));
    this.readLines(child.stderr!, MAX_STDERR_CHARS, (line) => this.emit('stderr', line));
    child.stdin!.on('error', () => undefined);
  }

  private readLines(stream: NodeJS.ReadableStream, maxLine: number, onLine: (line: string) => void): void {
    const lines = new LineSplitter(maxLine);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const before = lines.dropped;
      for (const line of lines.push(chunk)) onLine(line);
      if (lines.dropped > before) this.emit('stderr', `a line longer than ${Math.round(maxLine / 1024)} KB from the lab supervisor was dropped`);
    });
  }

  private receive(line: string): void {
    const parsed = parseLabEvent(line);
    if (!parsed.ok) {
      this.emit('stderr', `the lab supervisor wrote ${parsed.error}; the host dropped it`);
      return;
    }
    const { event } = parsed;
    if (event.type === 'ready') this.balancerPort = event.balancerPort;
    if (event.type === 'reply') this.replies.settle(event);
    this.emit('event', event);
  }

  /** Send a command; resolves when the supervisor has carried it out. */
  send(command: LabCommand): Promise<void> {
    const child = this.child;
    if (!child?.stdin?.writable) return Promise.reject(new Error('the lab is not running'));
    return this.replies.request((id) => {
      child.stdin!.write(JSON.stringify({ ...command, id }) + '\n');
    });
  }

  /** Write raw text to the supervisor's stdin (tests of malformed input). */
  sendRaw(text: string): void {
    this.child?.stdin?.write(text);
  }

  /** Resolve with the first event matching the predicate (a type guard gives the event its type). */
  waitFor<E extends LabEvent>(predicate: (event: LabEvent) => event is E, timeoutMs?: number): Promise<E>;
  waitFor(predicate: (event: LabEvent) => boolean, timeoutMs?: number): Promise<LabEvent>;
  waitFor(predicate: (event: LabEvent) => boolean, timeoutMs = 10_000): Promise<LabEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', listener);
        reject(new Error(`no matching lab event within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (event: LabEvent) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.off('event', listener);
        resolve(event);
      };
      this.on('event', listener);
    });
  }

  /**
   * Stop the lab: ask the supervisor to shut down, then kill its whole process group whatever it did, and
   * remove the working directory.
   */
  async destroy({ keepDir = false } = {}): Promise<void> {
    this.ending = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      const timer = setTimeout(() => this.killGroup('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    this.killGroup('SIGKILL');
    await this.writing;
    if (keepDir) return;
    await removeLabDir(this.dir);
    await removeOwner(path.dirname(this.dir), this.id);
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }
}

/** Remove a lab's folder; never throws (what is left is cleared by the next host's start-up reaping). */
export async function removeLabDir(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch {
    // left for the start-up reaper
  }
}
