// @ts-check
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoundedOutput } from './output.js';
import { freePort } from './ports.js';
import { probe } from './probe.js';

const GUARD = fileURLToPath(new URL('./orphan-guard.js', import.meta.url));

/** @typedef {'starting' | 'up' | 'unhealthy' | 'crashed' | 'stopping' | 'stopped'} InstanceState */

/**
 * @typedef {object} InstanceOptions
 * @property {string} name            INSTANCE_ID, e.g. "A"
 * @property {number} generation      increases with every deploy of this name
 * @property {string} appDir          the learner's files; the process runs here
 * @property {string} entry           file run with `node`, relative to appDir
 * @property {Record<string, string>} env  extra environment (REDIS_URL, LAB_ID…)
 * @property {number} startupTimeoutMs
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
   * Spawn the process and resolve once it answers HTTP on its port, or once it has crashed or timed out
   * (check `state` afterwards). Never rejects: a learner's broken code is an outcome, not an exception.
   */
  async start() {
    if (this.child) return;
    const { appDir, entry, env, startupTimeoutMs } = this.options;
    this.port = await freePort();
    this.exitCode = undefined;
    this.lastLines = [];
    this.failedProbes = 0;
    this.setState('starting');
    const output = new BoundedOutput((stream, text) => this.options.onLog(this, stream, text));
    const child = spawn(process.execPath, ['--import', GUARD, path.join(appDir, entry)], {
      cwd: appDir,
      env: { ...process.env, ...env, PORT: String(this.port), INSTANCE_ID: this.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid;
    child.stdout?.on('data', (chunk) => output.push('stdout', chunk));
    child.stderr?.on('data', (chunk) => output.push('stderr', chunk));
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        this.reason = `could not start node: ${error.message}`;
      });
      child.on('close', (code, signal) => {
        output.flush();
        this.child = undefined;
        this.exitCode = code;
        this.lastLines = output.lastErrorLines();
        if (this.state === 'stopping' || this.state === 'stopped') {
          this.setState('stopped', this.reason);
        } else {
          const early = this.state === 'starting' ? ` before answering on port ${this.port}` : '';
          this.setState('crashed', describeExit(code, signal, output.lastErrorLines(40), early));
        }
        resolve();
      });
    });

    const deadline = Date.now() + startupTimeoutMs;
    while (this.child === child && this.state === 'starting') {
      if (await probe(this.port, 500)) {
        if (this.state === 'starting') this.setState('up');
        return;
      }
      if (Date.now() > deadline) {
        this.lastLines = output.lastErrorLines();
        const reason = `did not answer HTTP on port ${this.port} within ${startupTimeoutMs / 1000} s — does it listen on process.env.PORT?`;
        await this.halt('SIGKILL');
        this.setState('crashed', reason);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Periodic health check while up; a blocked event loop shows as unhealthy and is routed around. */
  async checkHealth() {
    if (this.state !== 'up' && this.state !== 'unhealthy') return;
    const ok = await probe(this.port, 1500);
    if (this.state !== 'up' && this.state !== 'unhealthy') return;
    if (ok) {
      this.failedProbes = 0;
      if (this.state === 'unhealthy') this.setState('up');
    } else if (++this.failedProbes >= 2) {
      this.setState('unhealthy', 'stopped answering health probes for 3 s — is its event loop blocked (an endless loop, heavy sync work)?');
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
    if (!this.child) return;
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

/**
 * @param {number | null} code
 * @param {NodeJS.Signals | null} signal
 * @param {string[]} lastLines
 * @param {string} when
 */
function describeExit(code, signal, lastLines, when) {
  const how = (signal ? `was killed by ${signal}` : `exited with code ${code}`) + when;
  const clue =
    lastLines.find((l) => /^\s*(\w*Error|\w+Exception)\b.*:/.test(l)) ??
    lastLines.find((l) => /Error|EADDRINUSE|Cannot find|Unexpected/.test(l)) ??
    lastLines.at(-1);
  return clue ? `${how}: ${clue.trim()}` : how;
}
