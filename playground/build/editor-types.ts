/**
 * Collects the type declarations the playground editor needs for IntelliSense on the lab's libraries
 * (express, express-session, ioredis, socket.io) into one JSON document, which the editor fetches when it loads
 * (never before: the lesson page does not reference it). The build calls `collectEditorTypes()` through the Vite
 * plugin in integrations/editor-vite-plugins.ts, which emits it as a hashed asset; run this file by hand
 * to see what goes in and how big it is:
 *
 *   node playground/build/editor-types.ts                    print the file count and size
 *   node playground/build/editor-types.ts --list             also every file and its size
 *   node playground/build/editor-types.ts --out types.json   write the JSON
 *
 * TypeScript's own module resolution finds everything the four libraries reference, so the list never goes
 * stale when a dependency moves. Two things keep the file small:
 *   - @types/node is cut down to the modules a lab server touches (http, net, events, crypto, buffer, …);
 *     an import of any other node module is simply untyped in the editor;
 *   - doc comments in @types/node keep their first paragraph only (no examples, no @since).
 * The libraries' own doc comments are kept whole: they are what the learner reads on hover.
 *
 * Output: { "version": 1, "libs": { "file:///node_modules/<path>": "<content>" } }. Paths keep the node_modules
 * layout so the editor's TypeScript worker resolves `import express from 'express'` the way Node does. A
 * package whose types entry is not `index.d.ts` at its root gets a one-line `index.d.ts` that re-exports it
 * (the worker's resolver does not read package.json).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');
const nodeModules = join(root, 'node_modules');

/** What a lab's server.js imports. */
const LIBRARIES = ['express', 'express-session', 'ioredis', 'socket.io'];

/** @types/node files kept: globals plus the modules a small HTTP server and its libraries use. */
const NODE_FILES = [
  'globals.d.ts',
  'globals.typedarray.d.ts',
  'buffer.buffer.d.ts',
  'web-globals/abortcontroller.d.ts',
  'web-globals/console.d.ts',
  'web-globals/domexception.d.ts',
  'web-globals/encoding.d.ts',
  'web-globals/events.d.ts',
  'web-globals/importmeta.d.ts',
  'web-globals/timers.d.ts',
  'web-globals/url.d.ts',
  'buffer.d.ts',
  'console.d.ts',
  'crypto.d.ts',
  'dns.d.ts',
  'events.d.ts',
  'http.d.ts',
  'https.d.ts',
  'net.d.ts',
  'process.d.ts',
  'querystring.d.ts',
  'stream.d.ts',
  'string_decoder.d.ts',
  'timers.d.ts',
  'timers/promises.d.ts',
  'tls.d.ts',
  'url.d.ts',
  'util.d.ts',
];

const nodeTypes = join(nodeModules, '@types', 'node');

function virtualPath(file: string): string {
  return `file:///node_modules/${relative(nodeModules, file).split(sep).join('/')}`;
}

/** Every declaration file the libraries pull in, found by TypeScript's resolver (as a bundler would resolve). */
function libraryFiles(): string[] {
  const entry = join(root, '__editor_types_entry__.ts');
  const entryText = LIBRARIES.map((name) => `import '${name}';`).join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ESNext,
    types: [],
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName === entry ? ts.createSourceFile(fileName, entryText, languageVersion) : getSourceFile(fileName, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === entry || fileExists(fileName);
  const program = ts.createProgram({ rootNames: [entry], options, host });

  const missing = LIBRARIES.filter((name) => {
    const resolved = ts.resolveModuleName(name, entry, options, host).resolvedModule;
    return !resolved?.resolvedFileName.endsWith('.d.ts');
  });
  if (missing.length) throw new Error(`no type declarations found for ${missing.join(', ')}: run npm install`);

  return program
    .getSourceFiles()
    .map((f) => f.fileName)
    .filter((f) => f !== entry && f.startsWith(nodeModules + sep) && !f.startsWith(join(nodeModules, 'typescript') + sep))
    .filter((f) => !isNodeOnly(f));
}

/**
 * Files that only @types/node brings in (it is cut down to NODE_FILES), and npm packages named like a Node
 * built-in (the `buffer` polyfill): in the editor, `import … from 'buffer'` must mean Node's module.
 */
function isNodeOnly(file: string): boolean {
  const pkg = relative(nodeModules, packageDirOf(file)).split(sep).join('/').replace(/^.*node_modules\//, '');
  return pkg === '@types/node' || pkg === 'undici-types' || builtinModules.includes(pkg);
}

/** Keeps the first paragraph of each doc comment (drops examples, tags and long explanations). */
function shortenDocComments(text: string): string {
  return text.replace(/\/\*\*[\s\S]*?\*\//g, (comment) => {
    const lines = comment
      .slice(3, -2)
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, '').trimEnd());
    const summary: string[] = [];
    for (const line of lines) {
      if (summary.length && (line === '' || line.startsWith('@') || line.startsWith('```'))) break;
      if (line.startsWith('@') || line.startsWith('```')) break;
      if (line !== '' || summary.length) summary.push(line);
    }
    if (!summary.length) return '';
    return summary.length === 1 ? `/** ${summary[0]} */` : `/**\n${summary.map((l) => ` * ${l}`).join('\n')}\n */`;
  });
}

/** Where a package's types start, if not at `index.d.ts` in its root (which the worker's resolver finds alone). */
function typesEntry(packageDir: string): string | undefined {
  let manifest: { types?: string; typings?: string; exports?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const types = manifest.types ?? manifest.typings;
  if (!types) return undefined;
  const normal = types.replace(/^\.\//, '');
  return normal === 'index.d.ts' ? undefined : normal;
}

function packageDirOf(file: string): string {
  const parts = relative(nodeModules, file).split(sep);
  // node_modules/a/…, node_modules/@s/a/…, node_modules/a/node_modules/b/…
  let i = 0;
  let dir = nodeModules;
  while (i < parts.length) {
    const take = parts[i]!.startsWith('@') ? 2 : 1;
    dir = join(dir, ...parts.slice(i, i + take));
    i += take;
    if (parts[i] === 'node_modules') {
      dir = join(dir, 'node_modules');
      i += 1;
    } else break;
  }
  return dir;
}

/** A root `index.d.ts` that forwards to the package's real entry. */
function forwardingIndex(packageDir: string, entry: string): string {
  const target = './' + entry.replace(/\.d\.ts$/, '');
  const text = readFileSync(join(packageDir, entry), 'utf8');
  if (/^\s*export\s*=/m.test(text)) return `import m = require(${JSON.stringify(target)});\nexport = m;\n`;
  const hasDefault = /^\s*export\s+default\b|^\s*export\s*\{[^}]*\bdefault\b/m.test(text);
  return `export * from ${JSON.stringify(target)};\n${hasDefault ? `export { default } from ${JSON.stringify(target)};\n` : ''}`;
}

export function collectEditorTypes(): Record<string, string> {
  const libs: Record<string, string> = {};
  for (const name of NODE_FILES) {
    const file = join(nodeTypes, name);
    libs[virtualPath(file)] = shortenDocComments(readFileSync(file, 'utf8'));
  }
  const packages = new Set<string>();
  for (const file of libraryFiles()) {
    libs[virtualPath(file)] = readFileSync(file, 'utf8');
    packages.add(packageDirOf(file));
  }
  for (const dir of packages) {
    const entry = typesEntry(dir);
    const index = join(dir, 'index.d.ts');
    if (entry && !(virtualPath(index) in libs)) libs[virtualPath(index)] = forwardingIndex(dir, entry);
  }
  return Object.fromEntries(Object.entries(libs).sort(([a], [b]) => a.localeCompare(b)));
}

if (import.meta.main) {
  const started = performance.now();
  const libs = collectEditorTypes();
  const json = JSON.stringify({ version: 1, libs });
  const out = process.argv.indexOf('--out');
  const outFile = out > 0 ? process.argv[out + 1] : undefined;
  if (outFile) {
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, json);
  }
  if (process.argv.includes('--list')) {
    for (const [path, content] of Object.entries(libs)) console.log(`${String(content.length).padStart(8)}  ${path}`);
  }
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log(
    `editor types: ${Object.keys(libs).length} files, ${kb(json.length)} (${kb(gzipSync(json, { level: 9 }).length)} gzip)${outFile ? ` → ${outFile}` : ''} in ${Math.round(performance.now() - started)} ms`,
  );
}
