/**
 * The life of one lab as the learner drives it: pick a runtime (falling back from the in-browser sandbox to the
 * lab host when it cannot start), open the lab with the editor's files, start the cluster, deploy saved changes,
 * run checks, reconnect after a lost connection. UI-free.
 *
 * Lab hosts are interchangeable: the learner's files live in the browser, so when a lab host goes away (killed,
 * restarted, shut down) the session rebuilds the lab at once on whichever host the balancer picks, from the files
 * in the editor, and starts the cluster again in the shape it had. A lab a host ended on purpose (idle, over a
 * limit) is not rebuilt until the learner asks.
 */
import type { LabSettings } from '../../protocol/lesson-schema.ts';
import type { RuntimeKind, RuntimePlan } from '../../runtime/choose.ts';
import type { Runtime } from '../../runtime/types.ts';
import type { CommandOf, LabCommand } from '../../protocol/lab-commands.ts';
import type { Strategy } from '../../lab/rules.js';
import type { LabFile } from '../../protocol/lab-file.ts';
import type { LabStore } from './lab-store.ts';

export interface LabSessionOptions {
  store: LabStore;
  lesson: string;
  lab: LabSettings;
  checks: string;
  files: () => LabFile[];
  plan: () => Promise<RuntimePlan>;
  create: (kind: RuntimeKind) => Runtime;
  /** Tells the learner about a fallback or a runtime-level problem. */
  notice: (message: string) => void;
  /** The files the cluster's instances now run changed (after Run, Check, a rolling deploy or a rebuild). */
  onRunningFiles?: (files: LabFile[] | undefined) => void;
  /**
   * Waits before each attempt to rebuild a lab whose host went away, in milliseconds; how many there are is how
   * many attempts are made before the learner is asked.
   */
  retryDelays?: number[];
}

/** What the learner changed about the cluster since Run (checks reshape it too, but only for themselves). */
interface LearnerShape {
  instances?: number;
  strategy?: Strategy;
  /** The last traffic command, while steady traffic is on. */
  traffic?: CommandOf<'traffic'>;
}

/** The cluster as the learner had it, to be started again after a failover. */
interface ClusterShape extends LearnerShape {
  running: boolean;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

const RETRY_DELAYS = [250, 1000, 2000, 4000, 8000];
/** More automatic rebuilds than this within REBUILD_WINDOW_MS: something is wrong; ask the learner instead. */
const MAX_REBUILDS = 3;
const REBUILD_WINDOW_MS = 5 * 60_000;

export class LabSession {
  private runtime: Runtime | undefined;
  private opened = false;
  private opening: Promise<void> | undefined;
  private forced: RuntimeKind | undefined;
  private readonly options: LabSessionOptions;
  /** The learner wants the cluster running (set by Run, cleared by Stop); a rebuilt lab starts it again. */
  private clusterWanted = false;
  private shape: LearnerShape = {};
  /** A rebuild after a lost host, while it lasts. */
  private recovering: Promise<void> | undefined;
  private rebuilds: number[] = [];
  /** The cluster's shape when automatic rebuilding gave up; Reconnect tries again with it. */
  private lostShape: { reason: string; shape: ClusterShape } | undefined;
  private disposed = false;
  private wake: (() => void) | undefined;
  /** The runtime kind in use once a lab is open. */
  kind: RuntimeKind | undefined;
  /** The files the instances run (what they were started or rolled out with); undefined before the first Run. */
  private running: LabFile[] | undefined;

  constructor(options: LabSessionOptions) {
    this.options = options;
  }

  get runningFiles(): LabFile[] | undefined {
    return this.running;
  }

  private setRunning(files: LabFile[] | undefined): void {
    this.running = files?.map((f) => ({ ...f }));
    this.options.onRunningFiles?.(this.running);
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** The lab host running the lab, when the runtime names it. */
  get host(): string | undefined {
    return this.opened ? this.runtime?.host : undefined;
  }

  /** Use this runtime from now on (the learner chose it after the other failed). */
  async useRuntime(kind: RuntimeKind): Promise<void> {
    this.forced = kind;
    await this.close();
    await this.run();
  }

  private async close(): Promise<void> {
    this.opened = false;
    const runtime = this.runtime;
    this.runtime = undefined;
    await runtime?.dispose().catch(() => undefined);
  }

  private attach(runtime: Runtime): void {
    const { store } = this.options;
    runtime.onEvent((event) => {
      if (this.runtime === runtime) store.apply(event);
    });
    runtime.onStatus((status) => {
      if (this.runtime !== runtime || this.recovering) return;
      if (status.state === 'connecting') store.setPhase({ name: 'connecting', detail: status.detail });
      if (status.state === 'lost') {
        const wasOpen = this.opened;
        this.opened = false;
        if (wasOpen && status.recoverable && runtime.kind === 'server' && !this.disposed) void this.failover(status.detail);
        else store.setPhase({ name: 'lost', detail: this.lostDetail(status.detail, status.code) });
      }
    });
  }

  private lostDetail(detail: string, code: string | undefined): string {
    if (code === 'idle' || code === 'limit') return `${detail} Press Run to start a fresh lab with your files.`;
    return detail;
  }

  /**
   * The lab host went away. Rebuild the lab on whichever host answers (the balancer routes to a live one), with
   * backoff, from the files in the editor, and put the cluster back as it was.
   */
  private failover(reason: string): Promise<void> {
    const { store } = this.options;
    const shape: ClusterShape = { running: this.clusterWanted, ...this.shape };
    const old = this.runtime;
    this.runtime = undefined;
    void old?.dispose().catch(() => undefined);
    if (store.state.checks.running) store.checksFailed(`${reason} The checks stopped; press Check to run them again.`);
    store.reset();
    const now = Date.now();
    this.rebuilds = this.rebuilds.filter((t) => now - t < REBUILD_WINDOW_MS);
    if (this.rebuilds.length >= MAX_REBUILDS) {
      this.lostShape = { reason, shape };
      store.setPhase({
        name: 'lost',
        detail: `${reason} Your lab was already rebuilt ${MAX_REBUILDS} times in the last few minutes, so it is not rebuilt again automatically; press Reconnect to try.`,
      });
      return Promise.resolve();
    }
    this.rebuilds.push(now);
    return this.recover(reason, shape);
  }

  private recover(reason: string, shape: ClusterShape): Promise<void> {
    this.recovering ??= this.rebuild(reason, shape).finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  private async rebuild(reason: string, shape: ClusterShape): Promise<void> {
    const { store, notice } = this.options;
    const delays = this.options.retryDelays ?? RETRY_DELAYS;
    this.lostShape = undefined;
    let lastError: Error | undefined;
    for (const [index, delay] of delays.entries()) {
      const attempt = delays.length > 1 ? ` (attempt ${index + 1} of ${delays.length})` : '';
      store.setPhase({ name: 'connecting', detail: `${reason} Rebuilding your lab from the files in your editor${attempt}…` });
      await this.pause(delay);
      if (this.disposed) return;
      const runtime = this.options.create('server');
      let gone = false;
      runtime.onStatus((status) => {
        if (status.state === 'lost' || status.state === 'failed') gone = true;
      });
      this.runtime = runtime;
      this.attach(runtime);
      const files = this.options.files();
      try {
        await runtime.boot();
        store.reset();
        await runtime.openLab({ lesson: this.options.lesson, files, lab: this.options.lab, checks: this.options.checks });
        this.opened = true;
        this.kind = 'server';
        this.setRunning(shape.running ? files : undefined);
      } catch (error) {
        lastError = error as Error;
        await this.drop(runtime);
        continue;
      }
      try {
        if (shape.running) await this.restore(runtime, shape);
      } catch (error) {
        if (gone || this.runtime !== runtime) {
          // This host went away too while the cluster was starting: try again.
          lastError = error as Error;
          await this.drop(runtime);
          continue;
        }
        // The lab is there; a command of the restore was refused. Say so and carry on.
        notice(`Your lab was rebuilt, but putting the cluster back as it was failed: ${(error as Error).message}`);
      }
      const where = runtime.host ? ` on lab host ${runtime.host}` : '';
      // The status line stays in view; the notice has the whole story.
      store.setPhase({ name: 'running', note: `(Rebuilt${where} after the previous host went away.)` });
      const started = shape.running ? ' and the cluster was started again' : '';
      notice(`The lab host you were using went away. Your lab was rebuilt${where} from the files in your editor${started}. Nothing you wrote was lost.`);
      return;
    }
    this.lostShape = { reason, shape };
    store.setPhase({
      name: 'lost',
      detail: `${reason} No lab host answered after ${delays.length} attempts${lastError ? ` (${lowerFirst(lastError.message.replace(/\.$/, ''))})` : ''}. Press Reconnect to try again.`,
    });
  }

  private async drop(runtime: Runtime): Promise<void> {
    if (this.runtime === runtime) {
      this.runtime = undefined;
      this.opened = false;
    }
    await runtime.dispose().catch(() => undefined);
  }

  /** Start the cluster again in the shape it had: the host starts the lesson's shape, so scale and strategy follow. */
  private async restore(runtime: Runtime, shape: ClusterShape): Promise<void> {
    const { store, lab } = this.options;
    store.setPhase({ name: 'starting', detail: 'Starting the cluster again: Redis, the balancer and the instances…' });
    await runtime.send({ type: 'start' });
    if (shape.instances && shape.instances !== lab.instances) await runtime.send({ type: 'scale', instances: shape.instances });
    if (shape.strategy && shape.strategy !== lab.strategy) await runtime.send({ type: 'strategy', strategy: shape.strategy });
    if (shape.traffic) await runtime.send(shape.traffic);
  }

  /** Wait, unless the session is disposed meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Connect and open a lab with the current files, once. */
  async ensureOpen(): Promise<void> {
    if (this.recovering) await this.recovering;
    if (this.opened) return;
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    await this.opening;
  }

  private async open(): Promise<void> {
    const { store, notice } = this.options;
    const plan = this.forced ? { order: [this.forced] } : await this.options.plan();
    if ('note' in plan && plan.note) notice(plan.note);
    if (plan.order.length === 0) {
      const detail = ('note' in plan && plan.note) || 'No way to run a lab was found.';
      store.setPhase({ name: 'failed', detail });
      throw new Error(detail);
    }
    let lastError: Error | undefined;
    for (const [index, kind] of plan.order.entries()) {
      await this.runtime?.dispose().catch(() => undefined);
      const runtime = this.options.create(kind);
      this.runtime = runtime;
      this.attach(runtime);
      try {
        store.setPhase({ name: 'connecting', detail: kind === 'server' ? 'Connecting to the lab host…' : 'Starting the in-browser sandbox…' });
        await runtime.boot();
        store.setPhase({ name: 'starting', detail: 'Preparing your lab…' });
        store.reset();
        await runtime.openLab({ lesson: this.options.lesson, files: this.options.files(), lab: this.options.lab, checks: this.options.checks });
        this.opened = true;
        this.kind = kind;
        this.lostShape = undefined;
        return;
      } catch (error) {
        lastError = error as Error;
        await runtime.dispose().catch(() => undefined);
        this.runtime = undefined;
        const next = plan.order[index + 1];
        if (next) notice(`${lastError.message} Using the ${next === 'server' ? 'lab host' : 'in-browser sandbox'} instead.`);
      }
    }
    const detail = lastError?.message ?? 'the lab could not start';
    store.setPhase({ name: 'failed', detail });
    throw new Error(detail);
  }

  private get active(): Runtime {
    if (this.recovering) throw new Error('Your lab is being rebuilt on another lab host; try again in a moment.');
    if (!this.runtime || !this.opened) throw new Error('Press Run to start the lab first.');
    return this.runtime;
  }

  /** Start (or restart) the cluster with the editor's current files. */
  async run(): Promise<void> {
    const { store } = this.options;
    await this.ensureOpen();
    const files = this.options.files();
    await this.active.writeFiles(files);
    if (store.state.instances.length > 0) await this.active.send({ type: 'stop' });
    this.clusterWanted = true;
    this.shape = {};
    store.setPhase({ name: 'starting', detail: 'Starting Redis, the balancer and the instances…' });
    await this.active.send({ type: 'start' });
    this.setRunning(files);
    store.setPhase({ name: 'running' });
  }

  /** Saved files go to the lab; a running cluster rolls them out one instance at a time. */
  async save(changed: LabFile[]): Promise<'deployed' | 'saved' | 'not-running'> {
    // A lab being rebuilt may have been opened with the files before this save: wait and write them.
    if (this.recovering) await this.recovering;
    if (!this.opened) return 'not-running';
    await this.active.writeFiles(changed);
    const written = this.options.files();
    if (!this.options.store.state.instances.some((i) => i.state === 'up' || i.state === 'unhealthy')) {
      // Nothing is serving: whatever starts next starts with these files.
      if (this.running) this.setRunning(written);
      return 'saved';
    }
    await this.active.send({ type: 'deploy' });
    this.setRunning(written);
    return 'deployed';
  }

  /**
   * Rolling deploy of the editor's files as they are: written to the lab, then rolled out one instance at a time.
   * A refused deploy leaves the old version serving, and `runningFiles` says so.
   */
  async deploy(): Promise<void> {
    if (this.recovering) await this.recovering;
    const files = this.options.files();
    await this.active.writeFiles(files);
    await this.active.send({ type: 'deploy' });
    this.setRunning(files);
  }

  async check(): Promise<void> {
    await this.ensureOpen();
    const files = this.options.files();
    await this.active.writeFiles(files);
    // The checks restart every instance on these files, and the learner's cluster comes back on them too.
    this.setRunning(files);
    try {
      await this.active.send({ type: 'check' });
    } catch (error) {
      this.options.store.checksFailed((error as Error).message);
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (!this.opened) return;
    this.clusterWanted = false;
    await this.active.send({ type: 'stop' });
  }

  /**
   * After a lost connection (the learner pressed Reconnect): a fresh lab from the files in the editor, nothing lost;
   * the cluster starts again if it was running (or if there was nothing to go by).
   */
  async reconnect(): Promise<void> {
    if (this.recovering) return this.recovering;
    const lost = this.lostShape;
    if (lost && !this.opened) {
      await this.close();
      this.rebuilds = [];
      return this.recover(lost.reason, lost.shape);
    }
    const wanted = this.clusterWanted || this.kind === undefined;
    await this.close();
    if (wanted) await this.run();
    else await this.ensureOpen();
  }

  send = async (command: LabCommand): Promise<void> => {
    await this.active.send(command);
    // Carried out: remember it, so a rebuilt lab gets the same shape.
    if (command.type === 'scale') this.shape.instances = command.instances;
    if (command.type === 'strategy') this.shape.strategy = command.strategy;
    if (command.type === 'traffic') this.shape.traffic = command.on ? command : undefined;
  };

  dispose(): Promise<void> {
    this.disposed = true;
    this.wake?.();
    return this.close();
  }
}
