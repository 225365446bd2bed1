/**
 * The life of one lab as the learner drives it: pick a runtime (falling back from the in-browser sandbox to the
 * lab host when it cannot start), open the lab with the editor's files, start the cluster, deploy saved changes,
 * run checks, reconnect after a lost connection. UI-free.
 */
import type { LabSettings } from '../../src/lessons/schema.ts';
import type { RuntimeKind, RuntimePlan } from '../runtime/choose.ts';
import type { LabCommand, LabFile, Runtime } from '../runtime/types.ts';
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
}

export class LabSession {
  private runtime: Runtime | undefined;
  private opened = false;
  private opening: Promise<void> | undefined;
  private forced: RuntimeKind | undefined;
  private readonly options: LabSessionOptions;
  /** The runtime kind in use once a lab is open. */
  kind: RuntimeKind | undefined;

  constructor(options: LabSessionOptions) {
    this.options = options;
  }

  get isOpen(): boolean {
    return this.opened;
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
      if (this.runtime !== runtime) return;
      if (status.state === 'connecting') store.setPhase({ name: 'connecting', detail: status.detail });
      if (status.state === 'lost') {
        this.opened = false;
        store.setPhase({ name: 'lost', detail: status.detail });
      }
    });
  }

  /** Connect and open a lab with the current files, once. */
  ensureOpen(): Promise<void> {
    if (this.opened) return Promise.resolve();
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
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
    if (!this.runtime || !this.opened) throw new Error('Press Run to start the lab first.');
    return this.runtime;
  }

  /** Start (or restart) the cluster with the editor's current files. */
  async run(): Promise<void> {
    const { store } = this.options;
    await this.ensureOpen();
    await this.active.writeFiles(this.options.files());
    if (store.state.instances.length > 0) await this.active.send({ type: 'stop' });
    store.setPhase({ name: 'starting', detail: 'Starting Redis, the balancer and the instances…' });
    await this.active.send({ type: 'start' });
    store.setPhase({ name: 'running' });
  }

  /** Saved files go to the lab; a running cluster rolls them out one instance at a time. */
  async save(changed: LabFile[]): Promise<'deployed' | 'saved' | 'not-running'> {
    if (!this.opened) return 'not-running';
    await this.active.writeFiles(changed);
    if (!this.options.store.state.instances.some((i) => i.state === 'up' || i.state === 'unhealthy')) return 'saved';
    await this.active.send({ type: 'deploy' });
    return 'deployed';
  }

  async check(): Promise<void> {
    await this.ensureOpen();
    await this.active.writeFiles(this.options.files());
    try {
      await this.active.send({ type: 'check' });
    } catch (error) {
      this.options.store.checksFailed((error as Error).message);
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (!this.opened) return;
    await this.active.send({ type: 'stop' });
  }

  /** After a lost connection: a fresh lab from the files in the editor, nothing lost. */
  async reconnect(): Promise<void> {
    await this.close();
    await this.run();
  }

  send = (command: LabCommand): Promise<void> => {
    try {
      return this.active.send(command);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };

  dispose(): Promise<void> {
    return this.close();
  }
}
