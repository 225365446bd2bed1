/**
 * A stand-in for @webcontainer/api's WebContainer, for tests on machines that cannot reach StackBlitz. It keeps
 * the documented shape: `WebContainer.boot()` once per page, `mount()` of a FileSystemTree or a binary snapshot
 * (@webcontainer/snapshot's msgpack format), an fs.promises-like `fs` scoped to the workdir, and `spawn()`
 * returning { input: WritableStream<string>, output: ReadableStream<string>, exit: Promise<number>, kill() }.
 * Like the real one, output is a terminal: stdout and stderr interleaved, "\r\n" line ends, and input echoed.
 * The file system lives in memory; processes are real child processes, run in a folder the memory is written to.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';

type Entry = { kind: 'dir'; children: Map<string, Entry> } | { kind: 'file'; data: Uint8Array };
type Tree = Record<string, { file: { contents: string | Uint8Array } } | { directory: Tree }>;
type Snapshot = { d: Record<string, Snapshot | { f: { c: Uint8Array } }> };

export interface FakeBehaviour {
  /** boot() never settles, as on a network that cannot reach StackBlitz. */
  neverBoots?: boolean;
  bootDelayMs?: number;
}

const encoder = new TextEncoder();

function splitPath(p: string): string[] {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw Object.assign(new Error(`EACCES: permission denied, '${p}'`), { code: 'EACCES' });
  return parts;
}

export class FakeWebContainer {
  static behaviour: FakeBehaviour = {};
  private static current: FakeWebContainer | undefined;

  static async boot(options: { coep?: string; workdirName?: string } = {}): Promise<FakeWebContainer> {
    if (FakeWebContainer.behaviour.neverBoots) return new Promise(() => undefined);
    if (FakeWebContainer.current) throw new Error('Unable to create more instances');
    if (FakeWebContainer.behaviour.bootDelayMs) await new Promise((r) => setTimeout(r, FakeWebContainer.behaviour.bootDelayMs));
    const container = new FakeWebContainer(options.workdirName ?? 'project');
    FakeWebContainer.current = container;
    return container;
  }

  readonly workdir: string;
  private root: Entry = { kind: 'dir', children: new Map() };
  private disk: string | undefined;
  private processes = new Set<ChildProcess>();
  private tornDown = false;

  private constructor(name: string) {
    this.workdir = `/home/${name}`;
  }

  private lookup(p: string): Entry | undefined {
    let entry: Entry | undefined = this.root;
    for (const part of splitPath(p)) {
      if (entry?.kind !== 'dir') return undefined;
      entry = entry.children.get(part);
    }
    return entry;
  }

  private dirFor(p: string, create: boolean): Map<string, Entry> {
    let entry: Entry = this.root;
    for (const part of splitPath(p)) {
      if (entry.kind !== 'dir') throw Object.assign(new Error(`ENOTDIR: not a directory, '${p}'`), { code: 'ENOTDIR' });
      let next = entry.children.get(part);
      if (!next) {
        if (!create) throw Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
        next = { kind: 'dir', children: new Map() };
        entry.children.set(part, next);
      }
      entry = next;
    }
    if (entry.kind !== 'dir') throw Object.assign(new Error(`ENOTDIR: not a directory, '${p}'`), { code: 'ENOTDIR' });
    return entry.children;
  }

  private put(p: string, data: Uint8Array): void {
    const parts = splitPath(p);
    const name = parts.pop();
    if (!name) throw new Error(`EISDIR: illegal operation on a directory, '${p}'`);
    this.dirFor(parts.join('/'), false).set(name, { kind: 'file', data });
    if (this.disk) {
      const target = path.join(this.disk, ...splitPath(p));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data);
    }
  }

  readonly fs = {
    readFile: async (p: string, encoding?: string | null): Promise<string | Uint8Array> => {
      const entry = this.lookup(p);
      if (entry?.kind !== 'file') throw Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
      return encoding ? new TextDecoder().decode(entry.data) : entry.data;
    },
    writeFile: async (p: string, data: string | Uint8Array): Promise<void> => {
      this.put(p, typeof data === 'string' ? encoder.encode(data) : data);
    },
    mkdir: async (p: string, options?: { recursive?: boolean }): Promise<string> => {
      if (!options?.recursive) {
        const parts = splitPath(p);
        const name = parts.pop()!;
        const parent = this.dirFor(parts.join('/'), false);
        if (parent.has(name)) throw Object.assign(new Error(`EEXIST: file already exists, '${p}'`), { code: 'EEXIST' });
      }
      this.dirFor(p, true);
      if (this.disk) fs.mkdirSync(path.join(this.disk, ...splitPath(p)), { recursive: true });
      return p;
    },
    readdir: async (p: string): Promise<string[]> => [...this.dirFor(p, false).keys()],
    rm: async (p: string, options?: { force?: boolean; recursive?: boolean }): Promise<void> => {
      const parts = splitPath(p);
      const name = parts.pop()!;
      const parent = this.dirFor(parts.join('/'), false);
      const entry = parent.get(name);
      if (!entry) {
        if (options?.force) return;
        throw Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
      }
      if (entry.kind === 'dir' && entry.children.size > 0 && !options?.recursive) throw new Error(`ENOTEMPTY: directory not empty, '${p}'`);
      parent.delete(name);
      if (this.disk) fs.rmSync(path.join(this.disk, ...splitPath(p)), { recursive: true, force: true });
    },
  };

  async mount(source: Tree | Uint8Array | ArrayBuffer, options: { mountPoint?: string } = {}): Promise<void> {
    const base = options.mountPoint ?? '';
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
      const snapshot = decode(source instanceof ArrayBuffer ? new Uint8Array(source) : source) as Snapshot;
      this.mountSnapshot(snapshot, base);
    } else {
      this.mountTree(source, base);
    }
  }

  private mountTree(tree: Tree, base: string): void {
    this.dirFor(base, true);
    for (const [name, node] of Object.entries(tree)) {
      const p = base ? `${base}/${name}` : name;
      if ('directory' in node) this.mountTree(node.directory, p);
      else this.put(p, typeof node.file.contents === 'string' ? encoder.encode(node.file.contents) : node.file.contents);
    }
  }

  private mountSnapshot(snapshot: Snapshot, base: string): void {
    this.dirFor(base, true);
    for (const [name, node] of Object.entries(snapshot.d)) {
      const p = base ? `${base}/${name}` : name;
      if ('d' in node) this.mountSnapshot(node, p);
      else this.put(p, node.f.c ?? new Uint8Array());
    }
  }

  /** Write the in-memory tree to a real folder once, so real processes can run; later writes go to both. */
  private materialize(): string {
    if (this.disk) return this.disk;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-webcontainer-'));
    const write = (entry: Entry, at: string) => {
      if (entry.kind === 'file') {
        fs.writeFileSync(at, entry.data);
        return;
      }
      fs.mkdirSync(at, { recursive: true });
      for (const [name, child] of entry.children) write(child, path.join(at, name));
    };
    write(this.root, dir);
    this.disk = dir;
    return dir;
  }

  async spawn(command: string, args: string[] = [], options: { cwd?: string; env?: Record<string, string | number | boolean>; output?: boolean } = {}) {
    if (this.tornDown) throw new Error('The WebContainer instance has been torn down');
    const cwd = path.join(this.materialize(), ...splitPath(options.cwd ?? ''));
    const env = Object.fromEntries(Object.entries(options.env ?? {}).map(([k, v]) => [k, String(v)]));
    const child = spawnChild(command === 'node' ? process.execPath : command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: this.workdir, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.processes.add(child);
    let emit: ((text: string) => void) | undefined;
    const output = new ReadableStream<string>({
      start(controller) {
        emit = (text) => {
          if (options.output !== false) controller.enqueue(text.replace(/\r?\n/g, '\r\n'));
        };
        const push = (chunk: Buffer) => emit?.(chunk.toString('utf8'));
        child.stdout!.on('data', push);
        child.stderr!.on('data', push);
        child.on('close', () => controller.close());
      },
    });
    const input = new WritableStream<string>({
      write(chunk) {
        emit?.(chunk); // a terminal echoes what is typed
        child.stdin!.write(chunk);
      },
      close() {
        child.stdin!.end();
      },
    });
    child.stdin!.on('error', () => undefined);
    const exit = new Promise<number>((resolve) => child.on('close', (code, signal) => {
      this.processes.delete(child);
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    }));
    return { input, output, exit, kill: () => void child.kill('SIGTERM') };
  }

  on(): () => void {
    return () => undefined;
  }

  teardown(): void {
    this.tornDown = true;
    for (const child of this.processes) child.kill('SIGKILL');
    if (this.disk) fs.rmSync(this.disk, { recursive: true, force: true });
    if (FakeWebContainer.current === this) FakeWebContainer.current = undefined;
  }
}
