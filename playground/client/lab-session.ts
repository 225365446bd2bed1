/**
 * The life of one lab as the learner drives it: connect to a runtime, open the lab with the editor's files,
 * start the cluster, deploy saved changes, run checks, reconnect after a lost connection. UI-free.
 */
import type { LabCommand, LabFile, Runtime } from '../runtime/types.ts';
import type { LabStore } from './lab-store.ts';

export class LabSession {
  private opened = false;
  private opening: Promise<void> | undefined;
  private readonly runtime: Runtime;
  private readonly store: LabStore;
  private readonly lesson: string;
  private readonly files: () => LabFile[];

  constructor(options: { runtime: Runtime; store: LabStore; lesson: string; files: () => LabFile[] }) {
    this.runtime = options.runtime;
    this.store = options.store;
    this.lesson = options.lesson;
    this.files = options.files;
    this.runtime.onEvent((event) => this.store.apply(event));
    this.runtime.onStatus((status) => {
      if (status.state === 'lost') {
        this.opened = false;
        this.store.setPhase({ name: 'lost', detail: status.detail });
      }
    });
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Connect and open a lab with the current files, once. */
  ensureOpen(): Promise<void> {
    if (this.opened) return Promise.resolve();
    this.opening ??= (async () => {
      try {
        this.store.setPhase({ name: 'connecting', detail: `Connecting to the ${this.runtime.kind === 'server' ? 'lab host' : 'in-browser sandbox'}…` });
        await this.runtime.boot();
        this.store.setPhase({ name: 'starting', detail: 'Preparing your lab…' });
        this.store.reset();
        await this.runtime.openLab({ lesson: this.lesson, files: this.files() });
        this.opened = true;
      } catch (error) {
        this.store.setPhase({ name: 'failed', detail: (error as Error).message });
        throw error;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }

  /** Start (or restart) the cluster with the editor's current files. */
  async run(): Promise<void> {
    await this.ensureOpen();
    await this.runtime.writeFiles(this.files());
    if (this.store.state.instances.length > 0) await this.runtime.send({ type: 'stop' });
    this.store.setPhase({ name: 'starting', detail: 'Starting Redis, the balancer and the instances…' });
    await this.runtime.send({ type: 'start' });
    this.store.setPhase({ name: 'running' });
  }

  /** Saved files go to the lab; a running cluster rolls them out one instance at a time. */
  async save(changed: LabFile[]): Promise<'deployed' | 'saved' | 'not-running'> {
    if (!this.opened) return 'not-running';
    await this.runtime.writeFiles(changed);
    if (!this.store.state.instances.some((i) => i.state === 'up' || i.state === 'unhealthy')) return 'saved';
    await this.runtime.send({ type: 'deploy' });
    return 'deployed';
  }

  async check(): Promise<void> {
    await this.ensureOpen();
    await this.runtime.writeFiles(this.files());
    try {
      await this.runtime.send({ type: 'check' });
    } catch (error) {
      this.store.checksFailed((error as Error).message);
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (!this.opened) return;
    await this.runtime.send({ type: 'stop' });
  }

  /** After a lost connection: a fresh lab from the files in the editor, nothing lost. */
  async reconnect(): Promise<void> {
    this.opened = false;
    await this.run();
  }

  send = (command: LabCommand): Promise<void> => {
    if (!this.opened) return Promise.reject(new Error('Press Run to start the lab first.'));
    return this.runtime.send(command);
  };

  dispose(): Promise<void> {
    return this.runtime.dispose();
  }
}
