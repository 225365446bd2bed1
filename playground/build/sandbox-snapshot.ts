/**
 * The sandbox snapshot: everything the in-browser lab needs on disk, prebuilt, so that starting a cluster in a
 * WebContainer never waits on `npm install`.
 *
 * Layout of the snapshot (the root of the WebContainer file system once mounted):
 *
 *   node_modules/   the lab's runtime dependencies (LAB_DEPENDENCIES) and everything they load, copied from the
 *                   project's own node_modules with npm's nested layout kept, minus files Node never loads
 *   lab/            every file of playground/lab/, plus lab/package.json ({"type":"module"}) when the folder has
 *                   none, so the lab's ES modules load on a Node without module-syntax detection (Node 20)
 *
 * The learner's files go next to them (for example app/), so `import 'express'` from app/server.js resolves to
 * /node_modules/express just as it does on the lab host.
 *
 * The output is the binary format `WebContainer#mount()` accepts (msgpack of `{ d: { name: { d } | { f: { c } } } }`,
 * written by @webcontainer/snapshot). It has no file modes and no symlinks: every file is copied as bytes.
 */
import fs from 'node:fs/promises';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode } from '@msgpack/msgpack';
import { snapshot } from '@webcontainer/snapshot';

/** What the lab code and the lessons import. The snapshot holds these and their whole runtime closure. */
export const LAB_DEPENDENCIES = [
  'express',
  'express-session',
  'connect-redis',
  'express-rate-limit',
  'rate-limit-redis',
  'ioredis',
  'socket.io',
  '@socket.io/redis-adapter',
  'socket.io-client',
  'js-redis-server',
  'tough-cookie',
] as const;

/** One installed copy of a package, as npm laid it out in the project. */
export interface LabPackage {
  name: string;
  version: string;
  /** Where it sits, relative to the project root, with forward slashes: `node_modules/a/node_modules/b`. */
  location: string;
  /** Absolute real path to read the files from. */
  dir: string;
  /** How it got into the set: `dependencies`, `optionalDependencies` or `peerDependencies` of `from`. */
  via: { from: string; kind: 'root' | 'dependencies' | 'optionalDependencies' | 'peerDependencies' };
}

export interface SnapshotResult {
  /** Size of the snapshot file. */
  bytes: number;
  /** Number of files in it (node_modules and lab together). */
  files: number;
  /** `name@version` of every package in node_modules/, sorted, one entry per distinct name@version. */
  packages: string[];
}

export interface SnapshotOptions {
  projectRoot: string;
  outFile: string;
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/**
 * Find `name` the way Node does from a package that sits at `fromDir`: `<dir>/node_modules/<name>` for `fromDir`
 * and then each parent, skipping folders that are themselves called node_modules, never above the project root
 * (a package found there could not travel in the snapshot anyway).
 */
export function resolvePackage(projectRoot: string, fromDir: string, name: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === projectRoot || !dir.startsWith(projectRoot + path.sep)) return undefined;
    dir = path.dirname(dir);
  }
}

/**
 * The runtime closure of LAB_DEPENDENCIES in the project's node_modules: `dependencies` must be installed (an
 * error names the missing one), `optionalDependencies` and `peerDependencies` come along when they are installed
 * where Node would find them (an optional native helper or an optional peer that is absent is simply not loaded).
 * A non-optional peer that is missing is an error: npm installs those, so a missing one means a broken install.
 */
export function collectLabPackages(
  projectRoot: string,
  roots: readonly string[] = LAB_DEPENDENCIES,
  options: { typePackages?: boolean } = {},
): LabPackage[] {
  const root = path.resolve(projectRoot);
  const found = new Map<string, LabPackage>();
  const queue: LabPackage[] = [];

  const visit = (name: string, fromDir: string, via: LabPackage['via'], required: boolean) => {
    // Type declarations only (engine.io lists @types/node among its dependencies): nothing for Node to load.
    // `typePackages: true` keeps them, to measure what a plain npm install would fetch.
    if (name.startsWith('@types/') && !options.typePackages) return;
    const where = resolvePackage(root, fromDir, name);
    if (!where) {
      if (required) {
        throw new Error(`sandbox snapshot: ${via.from} needs "${name}" (${via.kind}) but it is not installed under ${root}; run npm install`);
      }
      return;
    }
    const location = toPosix(path.relative(root, where));
    if (found.has(location)) return;
    const pkg = readJson(path.join(where, 'package.json'));
    const entry: LabPackage = {
      name,
      version: pkg.version ?? '0.0.0',
      location,
      dir: realpathSync(where),
      via,
    };
    found.set(location, entry);
    queue.push(entry);
  };

  for (const name of roots) visit(name, root, { from: '(lab)', kind: 'root' }, true);

  while (queue.length > 0) {
    const current = queue.shift()!;
    const pkg = readJson(path.join(current.dir, 'package.json'));
    const from = `${current.name}@${current.version}`;
    // Node resolves from where the package sits in the tree (its location), not where its files happen to live.
    const fromDir = path.join(root, ...current.location.split('/'));
    const optional = pkg.optionalDependencies ?? {};
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      // npm copies optionalDependencies into dependencies when publishing; those stay optional.
      visit(name, fromDir, { from, kind: 'dependencies' }, !(name in optional));
    }
    for (const name of Object.keys(optional)) visit(name, fromDir, { from, kind: 'optionalDependencies' }, false);
    const meta = pkg.peerDependenciesMeta ?? {};
    for (const name of Object.keys(pkg.peerDependencies ?? {})) {
      visit(name, fromDir, { from, kind: 'peerDependencies' }, !meta[name]?.optional);
    }
  }

  return [...found.values()].sort((a, b) => a.location.localeCompare(b.location));
}

// ---- pruning -------------------------------------------------------------------------------------------------

/** Folders Node never loads from: tests, docs, examples, CI config. Dot-folders go too. */
const PRUNED_DIRS = new Set([
  'test', 'tests', '__tests__', '__mocks__', 'docs', 'example', 'examples', 'benchmark', 'benchmarks', 'coverage',
]);

/** Files that must travel with the code whatever their extension. */
const LICENCE = /^(licen[cs]e|copying|notice|patents)([-._].*)?$/i;

/** Documentation and tooling files by name (any extension). */
const PRUNED_NAMES = /^(readme|changelog|changes|history|contributing|authors|code_of_conduct|security|tsconfig(\..*)?)(\..*)?$/i;

/** Types, source maps, docs. `.d.ts.map` is caught by `.map`. */
const PRUNED_EXTENSIONS = ['.md', '.markdown', '.d.ts', '.d.mts', '.d.cts', '.map', '.tsbuildinfo'];

/** TypeScript sources, pruned when the built JavaScript sits next to them (Node never loads .ts from node_modules). */
const TS_SOURCE = /\.(ts|mts|cts)$/;

/**
 * Files a package reads at run time that the rules above would drop. socket.io serves its browser client,
 * source maps included, from client-dist/ at /socket.io/*.
 */
const RUNTIME_ASSETS: Record<string, string[]> = {
  'socket.io': ['client-dist/'],
};

/** Paths (relative to the package, no leading ./) that package.json names as entry points: never pruned. */
function entryPoints(pkg: PackageJson): Set<string> {
  const keep = new Set<string>();
  const add = (target: unknown) => {
    if (typeof target !== 'string' || target.includes('*')) return;
    keep.add(path.posix.normalize(target.replace(/^\.\//, '')));
  };
  add(pkg.main);
  if (typeof pkg.bin === 'string') add(pkg.bin);
  else if (pkg.bin) Object.values(pkg.bin).forEach(add);
  const walk = (value: unknown) => {
    if (typeof value === 'string') add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'types' || key.startsWith('types@')) continue; // type declarations: tsc only
        walk(inner);
      }
    }
  };
  walk(pkg.exports);
  return keep;
}

/** Whether `rel` (a file, relative to its package, posix) is left out of the snapshot. */
function prunedFile(rel: string, siblings: Set<string>, keep: Set<string>): boolean {
  if (keep.has(rel)) return false;
  const name = path.posix.basename(rel);
  if (name === 'package.json' || LICENCE.test(name)) return false;
  if (name.startsWith('.')) return true; // .eslintrc, .npmignore, .travis.yml, .editorconfig, …
  if (PRUNED_NAMES.test(name)) return true;
  const lower = name.toLowerCase();
  if (PRUNED_EXTENSIONS.some((ext) => lower.endsWith(ext))) return true;
  if (TS_SOURCE.test(name)) {
    const stem = name.replace(TS_SOURCE, '');
    return ['.js', '.mjs', '.cjs'].some((ext) => siblings.has(stem + ext));
  }
  return false;
}

function prunedDir(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.') || PRUNED_DIRS.has(name.toLowerCase());
}

interface CopyStats {
  files: number;
  keptBytes: number;
  prunedFiles: number;
  prunedBytes: number;
}

/**
 * Copy a package's files from `from` to `to`, minus what Node never loads. Nested node_modules are not copied
 * here: the packages in them that are needed are members of the set and are copied at their own location.
 */
async function copyPackage(from: string, to: string, pkg: PackageJson, assets: string[], stats: CopyStats): Promise<void> {
  const keep = entryPoints(pkg);
  const isAsset = (rel: string) => assets.some((prefix) => rel === prefix.replace(/\/$/, '') || rel.startsWith(prefix));
  const needed = (rel: string) => isAsset(rel) || [...keep].some((k) => k === rel || k.startsWith(rel + '/'));

  const walk = async (rel: string) => {
    const entries = await fs.readdir(path.join(from, rel), { withFileTypes: true });
    const siblings = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const source = path.join(from, childRel);
      // Dereference symlinks: the snapshot format has none.
      const stat = entry.isSymbolicLink() ? await fs.stat(source) : entry;
      if (stat.isDirectory()) {
        if (entry.name === 'node_modules') continue;
        if (prunedDir(entry.name) && !needed(childRel)) {
          await countPruned(source, stats);
          continue;
        }
        await walk(childRel);
      } else if (stat.isFile()) {
        if (!isAsset(childRel) && prunedFile(childRel, siblings, keep)) {
          stats.prunedFiles += 1;
          stats.prunedBytes += (await fs.stat(source)).size;
          continue;
        }
        const target = path.join(to, childRel);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.copyFile(source, target);
        stats.files += 1;
        stats.keptBytes += (await fs.stat(target)).size;
      }
    }
  };
  await fs.mkdir(to, { recursive: true });
  await walk('');
}

async function countPruned(dir: string, stats: CopyStats): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    stats.prunedFiles += 1;
    stats.prunedBytes += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
}

async function copyTree(from: string, to: string): Promise<number> {
  let files = 0;
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    const stat = entry.isSymbolicLink() ? await fs.stat(source) : entry;
    if (stat.isDirectory()) {
      await fs.mkdir(target, { recursive: true });
      files += await copyTree(source, target);
    } else if (stat.isFile()) {
      await fs.copyFile(source, target);
      files += 1;
    }
  }
  return files;
}

/** The lab's source folder inside the project. */
export function labSourceDir(projectRoot: string): string {
  return path.join(projectRoot, 'playground', 'lab');
}

/**
 * Build the snapshot: assemble node_modules/ and lab/ in a temporary folder, encode it, and write it to
 * `outFile` (through a temporary file and a rename, so a server never hands out half a snapshot).
 */
export async function buildSandboxSnapshot(options: SnapshotOptions): Promise<SnapshotResult & { prunedFiles: number; prunedBytes: number; copies: number }> {
  const projectRoot = path.resolve(options.projectRoot);
  const packages = collectLabPackages(projectRoot);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-snapshot-'));
  try {
    const stats: CopyStats = { files: 0, keptBytes: 0, prunedFiles: 0, prunedBytes: 0 };
    for (const pkg of packages) {
      const json = readJson(path.join(pkg.dir, 'package.json'));
      await copyPackage(pkg.dir, path.join(work, ...pkg.location.split('/')), json, RUNTIME_ASSETS[pkg.name] ?? [], stats);
    }

    const labDir = path.join(work, 'lab');
    await fs.mkdir(labDir, { recursive: true });
    let files = stats.files + (await copyTree(labSourceDir(projectRoot), labDir));
    if (!existsSync(path.join(labDir, 'package.json'))) {
      await fs.writeFile(path.join(labDir, 'package.json'), '{ "private": true, "type": "module" }\n');
      files += 1;
    }

    // snapshot() lists entries in the order its parallel reads finish, so two builds of the same tree differ.
    // Re-encoding with sorted keys (same format, ~0.1 s) makes the file a function of its inputs: the same
    // lab and lockfile give the same bytes, and the same ETag or content hash on a static host.
    const bytes = encode(decode(await snapshot(work)), { sortKeys: true });
    const outFile = path.resolve(options.outFile);
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    const partial = `${outFile}.${process.pid}-${Date.now()}.tmp`;
    await fs.writeFile(partial, bytes);
    await fs.rename(partial, outFile);

    return {
      bytes: bytes.byteLength,
      files,
      packages: [...new Set(packages.map((p) => `${p.name}@${p.version}`))].sort(),
      copies: packages.length,
      prunedFiles: stats.prunedFiles,
      prunedBytes: stats.prunedBytes,
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * What a snapshot is made from: every file under playground/lab/ and its folders (a folder's time changes when a
 * file is added, removed or renamed in it), package-lock.json, and this builder.
 */
export async function snapshotInputs(projectRoot: string): Promise<string[]> {
  const lab = labSourceDir(projectRoot);
  const inputs: string[] = [lab];
  for (const entry of await fs.readdir(lab, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() || entry.isDirectory()) inputs.push(path.join(entry.parentPath, entry.name));
  }
  inputs.push(path.join(projectRoot, 'package-lock.json'));
  inputs.push(fileURLToPath(import.meta.url));
  return inputs;
}

/** Whether `outFile` is missing or older than any file it is made from; the reason, or undefined when fresh. */
export async function snapshotStaleReason(projectRoot: string, outFile: string): Promise<string | undefined> {
  let built: number;
  try {
    built = (await fs.stat(outFile)).mtimeMs;
  } catch {
    return 'missing';
  }
  for (const input of await snapshotInputs(projectRoot)) {
    let changed: number;
    try {
      changed = (await fs.stat(input)).mtimeMs;
    } catch {
      continue;
    }
    if (changed > built) return `${path.relative(projectRoot, input)} changed`;
  }
  return undefined;
}
