/**
 * Imports run only downward. The lab engine imports nothing of ours (it runs alone in a sandbox, without a build
 * step; its JSDoc may name protocol types). The protocol sits between the sides and imports only the engine's
 * shared rules. The browser (client, runtime) never imports Node-side code (server, course, build).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

type Layer = 'lab' | 'protocol' | 'runtime' | 'client' | 'course' | 'server' | 'build' | 'site' | 'integrations' | 'scripts';

/** What each layer may import at run time, besides itself and npm packages. */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  lab: [],
  protocol: ['lab'],
  runtime: ['protocol', 'lab'],
  client: ['runtime', 'protocol', 'lab'],
  course: ['protocol', 'lab'],
  server: ['course', 'protocol', 'lab'],
  build: ['lab'],
  site: ['client', 'course', 'protocol', 'lab'],
  integrations: ['build'],
  scripts: ['server', 'course', 'protocol', 'lab'],
};

const FOLDERS: [string, Layer][] = [
  ['playground/lab/', 'lab'],
  ['playground/protocol/', 'protocol'],
  ['playground/runtime/', 'runtime'],
  ['playground/client/', 'client'],
  ['playground/course/', 'course'],
  ['playground/server/', 'server'],
  ['playground/build/', 'build'],
  ['src/lessons/', 'site'],
  ['src/', 'site'],
  ['integrations/', 'integrations'],
  ['scripts/', 'scripts'],
];

function layerOf(file: string): Layer | undefined {
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  return FOLDERS.find(([folder]) => relative.startsWith(folder))?.[1];
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs|astro)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    // Lesson code (starters, solutions, variants, checks) and the scaffold's copy of it are the learner's, not ours.
    .filter((f) => !/src\/lessons\/[^/]+\/|scripts\/lesson-template\//.test(f.split(path.sep).join('/')));
}

const STATIC = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

interface Edge { from: string; to: string; typeOnly: boolean; inComment: boolean }

function edgesOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const code = text.replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, (m) => m.replace(/[^\n]/g, ' '));
  const resolve = (spec: string) => path.resolve(path.dirname(file), spec.split('?')[0]!);
  const edges: Edge[] = [];
  for (const m of code.matchAll(STATIC)) edges.push({ from: file, to: resolve(m[2]!), typeOnly: Boolean(m[1]), inComment: false });
  for (const m of code.matchAll(DYNAMIC)) edges.push({ from: file, to: resolve(m[1]!), typeOnly: false, inComment: false });
  // JSDoc `import('…')` types: only in comments of plain JavaScript.
  for (const m of text.matchAll(DYNAMIC)) if (!code.includes(m[0])) edges.push({ from: file, to: resolve(m[1]!), typeOnly: true, inComment: true });
  return edges;
}

const files = ['playground', 'src', 'integrations', 'scripts'].flatMap(sources);
const edges = files.flatMap(edgesOf);

describe('layers', () => {
  it('every source file belongs to a layer', () => {
    expect(files.filter((f) => !layerOf(f)).map((f) => path.relative(ROOT, f))).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });

  it('imports run only downward', () => {
    const wrong = edges
      .filter((e) => {
        const from = layerOf(e.from)!;
        const to = layerOf(e.to);
        if (!to || to === from) return false;
        // The engine names protocol types in JSDoc; that is a type, never a module it loads.
        if (from === 'lab' && to === 'protocol' && e.inComment) return false;
        return !MAY_IMPORT[from].includes(to);
      })
      .map((e) => `${path.relative(ROOT, e.from)} → ${path.relative(ROOT, e.to)}`);
    expect(wrong).toEqual([]);
  });

  it('the lab engine loads nothing of ours from outside it', () => {
    const outside = edges.filter((e) => layerOf(e.from) === 'lab' && !e.inComment && layerOf(e.to) !== 'lab');
    expect(outside.map((e) => `${path.relative(ROOT, e.from)} → ${path.relative(ROOT, e.to)}`)).toEqual([]);
  });

  it('finds the imports it judges (a layer violation would not go unseen)', () => {
    const seen = (from: string, to: string) => edges.some((e) => e.from.endsWith(from) && e.to.endsWith(to));
    expect(seen('client/session/lab-store.ts', 'protocol/lab-events.ts')).toBe(true);
    expect(seen('server/lab-process.ts', 'protocol/lab-events.ts')).toBe(true);
    expect(seen('lab/events.js', 'protocol/lab-events.ts')).toBe(true);
    expect(seen('protocol/lab-commands.ts', 'lab/rules.js')).toBe(true);
  });
});
