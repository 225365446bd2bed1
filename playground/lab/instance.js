// @ts-check
/**
 * One learner process: started on its own disk with its environment, judged up once it listens on PORT, watched
 * for health, and described in words when it crashes or stops.
 */
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCrash, describeTimeout, learnerPaths, LISTENING_NOTE, noNotes, readNote, shorten } from './exit-reason.js';
import { copyApp, describeCopyFailure, INSTANCES_DIR, removeDisk } from './instance-disk.js';
import { BoundedOutput } from './output.js';
import { freePort } from './ports.js';
import { accepts, respond } from './probe.js';

const GUARD = fileURLToPath(new URL('./orphan-guard.js', import.meta.url));
/** Health rounds in a row without any reaction before an instance counts as unhealthy (rounds are 1 s apart). */
const FAILED_ROUNDS = 2;
/** Starts of one instance on a fresh port when another process took the one it was given. */
const PORT_ATTEMPTS = 3;
/** The port in Node's "listen EADDRINUSE: address already in use :::41234" (or 127.0.0.1:41234). @param {string} line */
const takenPort = (line) => Number(/EADDRINUSE\b.*?:(\d+)\s*$/.exec(line)?.[1] ?? NaN);
/** Makes every process's disk folder name unique within this supervisor. */
let launches = 0;

/** @typedef {'starting' | 'up' | 'unhealthy' | 'crashed' | 'stopping' | 'stopped'} InstanceState */

/**
 * The supervisor's environment as an app process gets it: the system's (PATH, HOME, TZ…) without the lab's own
 * settings (LAB_*: ports, Redis relay address and token…), which are the supervisor's business, not the app's.
 */
function appEnvironment() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LAB_')));
}

/**
 * @typedef {object} InstanceOptions
 * @property {string} name            INSTANCE_ID, e.g. "A"
 * @property {number} generation      increases with every deploy of this name
 * @property {string} appDir          the learner's files; each process runs in its own copy of them
 * @property {string} entry           file run with `node`, relative to appDir
 * @property {Record<string, string>} env  extra environment (REDIS_URL, LAB_ID…)
 * @property {number} startupTimeoutMs
 * @property {() => number} [balancerPort]  the balancer's port, to say so when an app listens on it (0: unknown)
 * @property {(instance: Instance) => void} onState
 * @property {(instance: Instance, stream: 'stdout' | 'stderr', text: string) => void} onLog
 */

/** One app process running the learner's code, with its health as the balancer should see it. */
export class Instance {
  /** @param {InstanceOptions} options */
  constructor(options) {
    this.options = options;
    this.name = options.name;
    this.generation = options.generation;
    /** @type {InstanceState} */
    this.state = 'stopped';
    this.port = 0;
    /** @type {number | undefined} */
    this.pid = undefined;
    /** @type {string | undefined} */
    this.reason = undefined;
    /** @type {number | null | undefined} */
    this.exitCode = undefined;
    /** @type {string[]} */
    this.lastLines = [];
    /** HTTP requests the balancer has open on this instance. */
    this.inflight = 0;
    /** WebSocket connections the balancer has open on this instance. */
    this.sockets = 0;
    this.served = 0;
    /** Set while a rolling deploy retires this process: no new requests. */
    this.draining = false;
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.child = undefined;
    this.failedProbes = 0;
    /** @type {Promise<void> | undefined} */
    this.exited = undefined;
    /** This process's own disk: a copy of appDir, made when it starts and removed when it has exited. */
    /** @type {string | undefined} */
    this.disk = undefined;
    this.launching = false;
  }

  get routable() {
    return this.state === 'up' && !this.draining;
  }

  toJSON() {
    return {
      name: this.name,
      generation: this.generation,
      state: this.state,
      port: this.port,
      pid: this.pid,
      reason: this.reason,
      exitCode: this.exitCode,
      lastLines: this.lastLines,
      served: this.served,
    };
  }

  /** @param {InstanceState} state @param {string} [reason] */
  setState(state, reason) {
    if (this.state === state && this.reason === reason) return;
    this.state = state;
    this.reason = reason;
    this.options.onState(this);
  }

  /**
   * Copy the app to a disk of the process's own, spawn the process there and resolve once it listens on its port
   * (accepts TCP connections), or once it has crashed or timed out (check `state` afterwards). Never rejects: a
   * learner's broken code, or a full disk, is an outcome, not an exception.
   */
  async start() {
    if (this.child || this.launching) return;
    this.launching = true;
    try {
      // The port is free when the lab picks it, but another process may take it before the app listens: that
      // is the lab's race, not the learner's mistake, so the app starts again on another port.
      for (let attempt = 1; (await this.launch(attempt < PORT_ATTEMPTS)) === 'port taken' && this.state === 'starting'; attempt++) {
        this.options.onLog(this, 'stderr', `[lab] port ${this.port} was taken by another process just before this instance listened; starting it again on another port`);
      }
    } finally {
      this.launching = false;
    }
  }

  /** @param {boolean} mayRetry @returns {Promise<'port taken' | undefined>} */
  async launch(mayRetry) {
    const { appDir, entry, env, startupTimeoutMs } = this.options;
    this.exitCode = undefined;
    this.lastLines = [];
    this.failedProbes = 0;
    this.setState('starting');
    const disk = path.join(appDir, INSTANCES_DIR, `${this.name}-${this.generation}-${++launches}`);
    try {
      this.port = await freePort();
    } catch (error) {
      if (this.state === 'starting') this.setState('crashed', `could not start: ${/** @type {Error} */ (error).message}`);
      return;
    }
    try {
      await copyApp(appDir, disk);
    } catch (error) {
      if (this.state === 'starting') this.setState('crashed', shorten(describeCopyFailure(this.name, error).split(appDir + path.sep).join(''), 600));
      return;
    }
    // Stack traces name real paths; the learner's are shown instead.
    const real = await fsp.realpath(disk).catch(() => disk);
    const appDirs = [appDir, await fsp.realpath(appDir).catch(() => appDir)];
    // Stopped while the files were copied: nothing to run. (No await from here until the process exists.)
    if (this.state !== 'starting') {
      await removeDisk(disk);
      return;
    }
    this.disk = disk;
    const notes = noNotes();
    const output = new BoundedOutput((stream, text) => this.options.onLog(this, stream, text), {
      rewrite: learnerPaths([disk, real], appDir),
      observe: (stream, line) => stream === 'stderr' && readNote(notes, line) && line === LISTENING_NOTE,
    });
    const balancerPort = () => this.options.balancerPort?.() ?? 0;
    const child = spawn(process.execPath, ['--import', GUARD, path.join(disk, entry)], {
      cwd: disk,
      env: {
        ...appEnvironment(),
        ...env,
        PORT: String(this.port),
        INSTANCE_ID: this.name,
        // Read (and removed from the environment) by the guard: start-up code busy this long is reported.
        LAB_INSTANCE_GUARD: `busy=${Math.round(Math.min(2000, Math.max(250, startupTimeoutMs / 4)))}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid;
    /** @type {string | undefined} set when start-up took too long and the process is killed for it (or node did not start) */
    let knownCause;
    let portTaken = false;
    child.stdout?.on('data', (chunk) => output.push('stdout', chunk));
    child.stderr?.on('data', (chunk) => output.push('stderr', chunk));
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        if (child.pid !== undefined) return;
        this.reason = `could not start node: ${error.message}`;
        knownCause ??= this.reason;
      });
      child.on('close', (code, signal) => {
        output.flush();
        this.child = undefined;
        this.exitCode = code;
        this.lastLines = output.lastErrorLines();
        const port = this.port;
        if (this.state === 'stopping' || this.state === 'stopped') {
          this.setState('stopped', this.reason);
        } else if (mayRetry && this.state === 'starting' && knownCause === undefined && output.lastErrorLines(40).some((l) => takenPort(l) === port)) {
          portTaken = true;
        } else if (knownCause !== undefined) {
          this.setState('crashed', knownCause);
        } else {
          const starting = this.state === 'starting';
          this.setState(
            'crashed',
            describeCrash({ code, signal, lines: output.lastErrorLines(40), appDirs, starting, port: this.port, notes, balancerPort: balancerPort() }),
          );
        }
        // The container is gone, and its disk with it.
        void removeDisk(disk).then(() => {
          if (this.disk === disk) this.disk = undefined;
          resolve();
        });
      });
    });

    const deadline = Date.now() + startupTimeoutMs;
    while (this.child === child && this.state === 'starting') {
      // Up once the port accepts connections and the guard has seen this process listen there.
      if (notes.listening && (await accepts(this.port, 500))) {
        if (this.state === 'starting' && this.child === child) this.setState('up');
        return;
      }
      if (Date.now() > deadline) {
        knownCause = describeTimeout({ seconds: startupTimeoutMs / 1000, port: this.port, notes, balancerPort: balancerPort() });
        await this.halt('SIGKILL');
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (portTaken) {
      await this.exited;
      return 'port taken';
    }
    return undefined;
  }

  /**
   * Periodic health check while up. Any HTTP answer counts; a server that does not answer plain requests (a
   * bare socket.io server) still counts when Node's HTTP parser rejects a malformed request, which needs a turning
   * event loop. One that reacts to neither, twice in a row, is blocked: unhealthy, and routed around.
   */
  async checkHealth() {
    if (this.state !== 'up' && this.state !== 'unhealthy') return;
    const child = this.child;
    const reaction = await respond(this.port, 1500);
    if ((this.state !== 'up' && this.state !== 'unhealthy') || this.child !== child) return;
    if (reaction === 'answered' || reaction === 'reacted') {
      this.failedProbes = 0;
      if (this.state === 'unhealthy') this.setState('up');
    } else if (++this.failedProbes >= FAILED_ROUNDS) {
      this.setState(
        'unhealthy',
        reaction === 'refused'
          ? `stopped accepting connections on process.env.PORT (${this.port}) — did it close its server?`
          : 'did not react to the balancer for 3 s: its event loop is blocked (an endless loop, heavy synchronous work?)',
      );
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL after a grace period. @param {string} [reason] */
  async stop(reason = 'stopped from the lab') {
    if (!this.child) {
      this.setState('stopped', reason);
      return;
    }
    this.reason = reason;
    this.setState('stopping', reason);
    await this.halt('SIGTERM');
  }

  /** Abrupt stop, like a machine dying. */
  async kill() {
    if (!this.child) {
      // Still copying its files: it never runs.
      if (this.launching && this.state === 'starting') this.setState('stopped', 'killed with SIGKILL from the lab');
      return;
    }
    this.reason = 'killed with SIGKILL from the lab';
    this.setState('stopping', this.reason);
    await this.halt('SIGKILL');
  }

  /** @param {NodeJS.Signals} signal */
  async halt(signal) {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
