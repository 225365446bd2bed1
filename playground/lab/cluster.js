// @ts-check
/**
 * The cluster: instances A, B, C… by name, scaled, stopped, killed and restarted one by one, and deployed in a
 * rolling way (a successor must answer before its predecessor drains and stops).
 */
import { Instance } from './instance.js';
import { removeStaleDisks } from './instance-disk.js';
import { MAX_INSTANCES, MIN_INSTANCES } from './rules.js';

/** A, B, C…: one letter per instance the cluster may have. */
const NAMES = Array.from({ length: MAX_INSTANCES }, (_, i) => String.fromCharCode(65 + i));

/**
 * @typedef {object} ClusterOptions
 * @property {string} appDir
 * @property {string} entry
 * @property {Record<string, string>} env
 * @property {number} [startupTimeoutMs]
 * @property {() => number} [balancerPort]  the balancer's port once it listens (0 before), so an app that listens on
 *   it is told so; default: LAB_PORT when that names one
 * @property {(instance: Instance) => void} onState
 * @property {(instance: Instance, stream: 'stdout' | 'stderr', text: string) => void} onLog
 * @property {(event: { phase: 'start' | 'instance' | 'failed' | 'done' | 'scaled', instance?: string, reason?: string }) => void} onDeploy
 */

/** The set of app instances, named A…J, and the operations the lab offers on them. */
/**
 * Start instances a few at a time: ten Node processes loading express at once on a small machine can take longer
 * than the start-up limit, which would report healthy code as crashed.
 * @param {Instance[]} instances
 */
async function startInBatches(instances, size = 4) {
  for (let i = 0; i < instances.length; i += size) await Promise.all(instances.slice(i, i + size).map((instance) => instance.start()));
}

export class Cluster {
  /** @param {ClusterOptions} options */
  constructor(options) {
    this.options = options;
    // Instances' own disks an earlier supervisor of this app folder left behind (it was killed before it could).
    removeStaleDisks(options.appDir);
    /** @type {Map<string, Instance>} current instance for each name, in name order */
    this.instances = new Map();
    /** @type {Set<Instance>} processes replaced by a deploy that are still finishing requests */
    this.retiring = new Set();
    this.deploying = false;
    this.healthTimer = setInterval(() => {
      for (const instance of this.instances.values()) void instance.checkHealth();
    }, 1000);
    this.healthTimer.unref();
  }

  /** @param {Partial<Pick<ClusterOptions, 'entry' | 'env'>>} settings */
  configure(settings) {
    Object.assign(this.options, settings);
  }

  list() {
    return [...this.instances.values()];
  }

  routable() {
    return this.list().filter((i) => i.routable);
  }

  /** @param {string} name */
  get(name) {
    const instance = this.instances.get(name);
    if (!instance) throw new Error(`there is no instance ${name}; instances are ${[...this.instances.keys()].join(', ') || 'none'}`);
    return instance;
  }

  /** @param {string} name @param {number} generation */
  create(name, generation) {
    return new Instance({
      name,
      generation,
      appDir: this.options.appDir,
      entry: this.options.entry,
      env: this.options.env,
      startupTimeoutMs: this.options.startupTimeoutMs ?? 10_000,
      balancerPort: () => this.options.balancerPort?.() ?? (Number(process.env.LAB_PORT) || 0),
      onState: (instance) => {
        if (this.instances.get(instance.name) === instance) this.options.onState(instance);
      },
      onLog: this.options.onLog,
    });
  }

  /** Scale to exactly n instances, starting new ones in parallel and stopping the highest names. @param {number} n */
  async scale(n) {
    if (!Number.isInteger(n) || n < MIN_INSTANCES || n > MAX_INSTANCES) throw new Error(`instances must be a whole number from ${MIN_INSTANCES} to ${MAX_INSTANCES}, got ${n}`);
    const wanted = NAMES.slice(0, n);
    const removing = this.list().filter((i) => !wanted.includes(i.name));
    const adding = wanted.filter((name) => !this.instances.has(name)).map((name) => {
      const instance = this.create(name, 1);
      this.instances.set(name, instance);
      return instance;
    });
    this.sort();
    await Promise.all([
      startInBatches(adding),
      ...removing.map(async (i) => {
        await i.stop('removed by scaling down');
        this.instances.delete(i.name);
      }),
    ]);
    if (removing.length) this.options.onDeploy({ phase: 'scaled', reason: `removed ${removing.map((i) => i.name).join(', ')}` });
  }

  sort() {
    this.instances = new Map([...this.instances.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Start an instance that is stopped or crashed (a fresh process, same name). @param {string} name */
  async startInstance(name) {
    const old = this.get(name);
    if (old.state === 'up' || old.state === 'starting' || old.state === 'unhealthy') return;
    const fresh = this.create(name, old.generation);
    this.instances.set(name, fresh);
    await fresh.start();
  }

  /** @param {string} name */
  async stopInstance(name) {
    await this.get(name).stop();
  }

  /** @param {string} name */
  async killInstance(name) {
    await this.get(name).kill();
  }

  /** @param {string} name */
  async restartInstance(name) {
    await this.get(name).stop('restarting');
    await this.startInstance(name);
  }

  /**
   * Replace every instance, one at a time: start the successor, wait until it answers, move traffic to it, let
   * the old process finish its open requests, then stop it. A successor that fails to come up aborts the deploy
   * and the old process keeps serving.
   * @returns {Promise<{ ok: boolean, reason?: string }>}
   */
  async deploy() {
    if (this.deploying) return { ok: false, reason: 'a deploy is already running' };
    this.deploying = true;
    this.options.onDeploy({ phase: 'start' });
    try {
      for (const name of [...this.instances.keys()]) {
        const old = this.instances.get(name);
        if (!old) continue;
        this.options.onDeploy({ phase: 'instance', instance: name });
        const successor = this.create(name, old.generation + 1);
        const wasServing = old.state === 'up' || old.state === 'unhealthy';
        if (!wasServing) {
          this.instances.set(name, successor);
          await successor.start();
          continue;
        }
        await successor.start();
        if (successor.state !== 'up') {
          const reason = `new code for instance ${name} did not come up (${successor.reason ?? successor.state}); the old version keeps serving`;
          await successor.stop('deploy aborted');
          this.options.onDeploy({ phase: 'failed', instance: name, reason });
          return { ok: false, reason };
        }
        this.instances.set(name, successor);
        this.options.onState(successor);
        await this.retire(old);
      }
      this.options.onDeploy({ phase: 'done' });
      return { ok: true };
    } finally {
      this.deploying = false;
    }
  }

  /**
   * Let the old process finish its open HTTP requests, then stop it. Open WebSockets are not waited for: they
   * live as long as their clients, and closing them makes socket.io clients reconnect to the new processes.
   * @param {Instance} old
   */
  async retire(old) {
    old.draining = true;
    this.retiring.add(old);
    const deadline = Date.now() + 5000;
    while (old.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await old.stop('replaced by a deploy');
    this.retiring.delete(old);
  }

  /** Stop everything, gracefully but without waiting long. */
  async stopAll() {
    await Promise.all([...this.list(), ...this.retiring].map((i) => i.stop('cluster stopped')));
    this.instances.clear();
  }

  /** Last-resort synchronous kill, for process exit paths. */
  killAllNow() {
    for (const instance of [...this.list(), ...this.retiring]) instance.child?.kill('SIGKILL');
  }

  dispose() {
    clearInterval(this.healthTimer);
  }
}
