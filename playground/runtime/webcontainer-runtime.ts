/**
 * Runs labs inside the learner's own tab with @webcontainer/api: the lab engine and its packages arrive as one
 * prebuilt snapshot (no npm install), the supervisor runs as a process in the container, and its events are read
 * from the process output. Only the few calls below touch the WebContainer API, so a faithful fake can stand in.
 */
import type { LabSettings } from '../protocol/lesson-schema.ts';
import { LineSplitter } from '../protocol/line-splitter.ts';
import { PendingReplies } from '../protocol/pending-replies.ts';
import { createRelaySession, RelayBridge, type RelayAccess } from './redis-relay-bridge.ts';
import { startCommand } from '../protocol/start-command.ts';
import type { LabCommand } from '../protocol/lab-commands.ts';
import type { LabEvent } from '../protocol/lab-events.ts';
import { readLabEvent } from '../protocol/read-messages.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { OpenLabRequest, Runtime, RuntimeStatus } from './types.ts';

/** The part of @webcontainer/api this runtime uses. */
export interface ContainerProcess {
  exit: Promise<number>;
  input: WritableStream<string>;
  output: ReadableStream<string>;
  kill(): void;
}
export interface Container {
  mount(tree: Uint8Array | ArrayBuffer | Record<string, unknown>, options?: { mountPoint?: string }): Promise<void>;
  fs: {
    writeFile(path: string, data: string | Uint8Array): Promise<void>;
    mkdir(path: string, options: { recursive: true }): Promise<string>;
  };
  spawn(command: string, args: string[], options?: { cwd?: string; env?: Record<string, string | number | boolean> }): Promise<ContainerProcess>;
  teardown(): void;
}
export interface ContainerApi {
  boot(options?: { coep?: 'require-corp' | 'credentialless' | 'none'; workdirName?: string }): Promise<Container>;
}

export interface WebContainerRuntimeOptions {
  /** Loads the API; the default imports @webcontainer/api (a separate chunk). */
  loadApi?: () => Promise<ContainerApi>;
  /** Fetches the prebuilt snapshot (lab engine + packages). */
  loadSnapshot?: (onProgress: (received: number, total: number) => void) => Promise<Uint8Array>;
  bootTimeoutMs?: number;
  /** Whether the page may run a WebContainer (cross-origin isolated). */
  isolated?: () => boolean;
  /**
   * Where to ask for hosted Redis (a lab host's relay); in a browser, the page's own origin. `false`, or no
   * relay there, means the JavaScript Redis inside the sandbox.
   */
  relay?: RelayAccess | false;
}

const APP_DIR = 'app';

export class WebContainerRuntime implements Runtime {
  readonly kind = 'webcontainer' as const;
  private container: Container | undefined;
  private process: ContainerProcess | undefined;
  private writer: WritableStreamDefaultWriter<string> | undefined;
  private events = new Set<(event: LabEvent) => void>();
  private statuses = new Set<(status: RuntimeStatus) => void>();
  private replies = new PendingReplies();
  private lab: LabSettings | undefined;
  private bridge: RelayBridge | undefined;
  private readonly options: Required<WebContainerRuntimeOptions>;

  constructor(options: WebContainerRuntimeOptions = {}) {
    this.options = {
      loadApi: options.loadApi ?? loadWebContainerApi,
      loadSnapshot: options.loadSnapshot ?? fetchSnapshot,
      bootTimeoutMs: options.bootTimeoutMs ?? 20_000,
      isolated: options.isolated ?? (() => globalThis.crossOriginIsolated === true),
      relay: options.relay ?? (globalThis.location?.origin ? { origin: globalThis.location.origin } : false),
    };
  }

  async boot(signal?: AbortSignal): Promise<void> {
    if (this.container) return;
    if (!this.options.isolated()) {
      throw this.fail('This page is not cross-origin isolated, so the browser will not run the in-browser sandbox.');
    }
    this.setStatus({ state: 'connecting', detail: 'Starting the in-browser sandbox…' });
    const api = await this.options.loadApi();
    const seconds = Math.round(this.options.bootTimeoutMs / 1000);
    const container = await deadline(api.boot({ coep: 'require-corp', workdirName: 'lab' }), this.options.bootTimeoutMs, signal).catch((error: Error) => {
      throw this.fail(
        error.name === 'TimeoutError'
          ? `The in-browser sandbox did not start within ${seconds} s. It needs to reach StackBlitz's servers, which this network may block.`
          : `The in-browser sandbox could not start: ${error.message}`,
      );
    });
    this.container = container;
    this.setStatus({ state: 'connecting', detail: 'Downloading the lab engine and its packages…' });
    const snapshot = await this.options.loadSnapshot((received, total) => {
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      this.setStatus({ state: 'connecting', detail: `Downloading the lab engine and its packages: ${mb(received)} of ${mb(total)} MB…` });
    });
    this.setStatus({ state: 'connecting', detail: 'Unpacking the packages…' });
    await container.mount(snapshot);
    this.setStatus({ state: 'ready' });
  }

  async openLab(request: OpenLabRequest): Promise<void> {
    const container = this.container;
    if (!container) throw new Error('boot the sandbox first');
    if (!request.lab || request.checks === undefined) throw new Error('the in-browser sandbox needs the lesson\'s lab settings and checks');
    this.lab = request.lab;
    await container.fs.mkdir(APP_DIR, { recursive: true });
    await this.writeFiles(request.files);
    await container.fs.writeFile('checks.js', request.checks);
    const hosted = await this.hostedRedis();
    const process = await container.spawn('node', ['lab/supervisor.js'], {
      env: { LAB_APP_DIR: APP_DIR, LAB_CHECKS: 'checks.js', LAB_PORT: 3000, LAB_REDIS: hosted ? 'relay' : 'js', LAB_ID: 'browser' },
    });
    this.process = process;
    const writer = process.input.getWriter();
    this.writer = writer;
    if (hosted) {
      const notice = (text: string) => this.dispatch({ type: 'log', t: Date.now(), name: 'redis', stream: 'stderr', text });
      this.bridge = new RelayBridge(hosted.access, hosted.session, (line) => writer.write(line), notice);
    }
    void this.read(process);
    void process.exit.then((code) => {
      this.replies.rejectAll(`the lab supervisor exited (code ${code})`);
      if (this.process === process) this.setStatus({ state: 'lost', detail: `The lab stopped (exit code ${code}).` });
    });
  }

  /**
   * A Redis session on the lab host's relay, when the site has one: the lab then uses a real Redis outside the
   * tab. Otherwise (a static host, no redis-server, a full host) the sandbox runs its own JavaScript Redis.
   */
  private async hostedRedis() {
    const access = this.options.relay;
    if (!access) return undefined;
    const created = await createRelaySession(access);
    if ('session' in created) return { access, session: created.session };
    this.dispatch({ type: 'log', t: Date.now(), name: 'redis', stream: 'stderr', text: `No hosted Redis (${created.reason}); using the JavaScript Redis inside the sandbox.` });
    return undefined;
  }

  /** Supervisor output arrives through a terminal: JSON events (they carry a numeric `t`) mixed with plain text. */
  private async read(process: ContainerProcess): Promise<void> {
    const lines = new LineSplitter();
    const reader = process.output.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const line of lines.push(value)) this.receive(line);
    }
  }

  private receive(line: string): void {
    const event = readLabEvent(line);
    if (!event) {
      // The terminal echoes what is written to the process, including the tunnel's bytes: not worth showing.
      if (line.startsWith('{"type":"tunnel"')) return;
      if (line.trim()) this.dispatch({ type: 'log', t: Date.now(), name: 'supervisor', stream: 'stderr', text: line });
      return;
    }
    if (event.type === 'tunnel') {
      this.bridge?.handle(event);
      return;
    }
    if (event.type === 'reply') this.replies.settle(event);
    this.dispatch(event);
  }

  private dispatch(event: LabEvent): void {
    for (const listener of this.events) listener(event);
  }

  async writeFiles(files: LabFile[]): Promise<void> {
    const container = this.container;
    if (!container) throw new Error('boot the sandbox first');
    for (const file of files) {
      const parts = file.path.split('/');
      if (file.path.startsWith('/') || parts.includes('..') || parts.includes('')) throw new Error(`refused to write "${file.path}": it is outside the lab`);
      if (parts.length > 1) await container.fs.mkdir(`${APP_DIR}/${parts.slice(0, -1).join('/')}`, { recursive: true });
      await container.fs.writeFile(`${APP_DIR}/${file.path}`, file.content);
    }
  }

  send(command: LabCommand): Promise<void> {
    const writer = this.writer;
    if (!writer) return Promise.reject(new Error('open a lab first'));
    const body = command.type === 'start' && this.lab ? startCommand(this.lab) : command;
    return this.replies.request((id) => writer.write(JSON.stringify({ ...body, id }) + '\n'));
  }

  onEvent(listener: (event: LabEvent) => void): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }

  onStatus(listener: (status: RuntimeStatus) => void): () => void {
    this.statuses.add(listener);
    return () => this.statuses.delete(listener);
  }

  private setStatus(status: RuntimeStatus): void {
    for (const listener of this.statuses) listener(status);
  }

  private fail(detail: string): Error {
    this.setStatus({ state: 'failed', detail });
    return new Error(detail);
  }

  async dispose(): Promise<void> {
    const process = this.process;
    this.process = undefined;
    process?.kill();
    await process?.exit.catch(() => undefined);
    await this.bridge?.end();
    this.bridge = undefined;
    this.container?.teardown();
    this.container = undefined;
  }
}

/** The real API, in its own chunk. A commercial deployment sets PUBLIC_WEBCONTAINER_API_KEY at build time. */
async function loadWebContainerApi(): Promise<ContainerApi> {
  const api = await import('@webcontainer/api');
  const key = (import.meta as unknown as { env?: Record<string, string | undefined> }).env?.PUBLIC_WEBCONTAINER_API_KEY;
  if (key) api.configureAPIKey(key);
  return api.WebContainer as unknown as ContainerApi;
}

/** Resolve with the promise, or reject with a TimeoutError after `ms` (or when aborted). */
function deadline<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' })), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    });
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The snapshot built by integrations/lab-assets.ts, with download progress. */
async function fetchSnapshot(onProgress: (received: number, total: number) => void): Promise<Uint8Array> {
  const response = await fetch('/sandbox/lab.snapshot');
  if (!response.ok || !response.body) throw new Error(`the lab packages could not be downloaded (HTTP ${response.status})`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, Math.max(total, received));
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
