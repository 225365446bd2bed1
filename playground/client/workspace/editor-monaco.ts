/**
 * Monaco, set up once per page: only the parts the playground uses (the editor core with its standard features,
 * a few languages, the TypeScript service for JavaScript IntelliSense), its workers, its CSS, a theme that follows
 * the system, and the lab libraries' type declarations. editor.ts imports this module dynamically, so none of it
 * is in the page's JavaScript until the editor is shown.
 */
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/css/register';
import 'monaco-editor/languages/definitions/html/register';
import 'monaco-editor/languages/definitions/javascript/register';
import 'monaco-editor/languages/definitions/markdown/register';
import 'monaco-editor/languages/definitions/typescript/register';
import {
  javascriptDefaults,
  ModuleKind,
  ModuleResolutionKind,
  ScriptTarget,
  typescriptDefaults,
  type CompilerOptions,
} from 'monaco-editor/languages/features/typescript/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TypeScriptWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
// The URL of the lab libraries' declarations (a hashed JSON asset; see editor-vite-plugins.ts).
import editorTypesUrl from 'virtual:editor-types-url';

export { monaco };

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

// Workers are same-origin chunks built by Vite (the page is cross-origin isolated: no CDN, no blob tricks).
self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string) {
    return label === 'typescript' || label === 'javascript' ? new TypeScriptWorker() : new EditorWorker();
  },
};

/**
 * How the editor's TypeScript service reads a lab file: an ES module for Node, library types from
 * editor-types.json, no DOM globals (a lab server has no `document`). Type errors are not shown in JavaScript
 * (syntax errors are): learners write plain JS, and red squiggles from inference would be noise.
 */
const compilerOptions: CompilerOptions = {
  target: ScriptTarget.ESNext,
  module: ModuleKind.ESNext,
  moduleResolution: ModuleResolutionKind.NodeJs,
  allowJs: true,
  checkJs: false,
  allowNonTsExtensions: true,
  esModuleInterop: true,
  allowSyntheticDefaultImports: true,
  lib: ['lib.esnext.d.ts'],
  types: [],
  noEmit: true,
};
javascriptDefaults.setCompilerOptions(compilerOptions);
typescriptDefaults.setCompilerOptions({ ...compilerOptions, strict: true });
// Every open file is visible to the service at once, so `import { x } from './store.js'` completes across tabs.
javascriptDefaults.setEagerModelSync(true);
typescriptDefaults.setEagerModelSync(true);

// JSON (package.json) only needs colours here, not the JSON language service and its worker.
if (!monaco.languages.getLanguages().some((l) => l.id === 'json')) {
  monaco.languages.register({ id: 'json', extensions: ['.json'], aliases: ['JSON'] });
  monaco.languages.setMonarchTokensProvider('json', {
    tokenizer: {
      root: [
        [/"(?:[^"\\]|\\.)*"(?=\s*:)/, 'type'],
        [/"(?:[^"\\]|\\.)*"/, 'string'],
        [/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, 'number'],
        [/\b(?:true|false|null)\b/, 'keyword'],
        [/[{}[\],:]/, 'delimiter'],
      ],
    },
  });
  monaco.languages.setLanguageConfiguration('json', {
    brackets: [
      ['{', '}'],
      ['[', ']'],
    ],
    autoClosingPairs: [
      { open: '{', close: '}' },
      { open: '[', close: ']' },
      { open: '"', close: '"' },
    ],
  });
}

export function languageFor(path: string): string {
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 ? path.slice(dot).toLowerCase() : '';
  const found = monaco.languages.getLanguages().find((l) => l.extensions?.includes(ext));
  return found?.id ?? 'plaintext';
}

export function languageName(id: string): string {
  return monaco.languages.getLanguages().find((l) => l.id === id)?.aliases?.[0] ?? 'Plain text';
}

// ---- Theme: the site's colours on monaco's light and dark themes, following the system setting. ----

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return /^#[0-9a-f]{6}$/i.test(value) ? value : fallback;
}

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

function applyTheme(): void {
  const dark = darkQuery.matches;
  const name = dark ? 'lab-dark' : 'lab-light';
  monaco.editor.defineTheme(name, {
    base: dark ? 'vs-dark' : 'vs',
    inherit: true,
    // vs-dark's comment and regexp colours fall just under 4.5:1 contrast on our background.
    rules: dark
      ? [
          { token: 'comment', foreground: '7FB069' },
          { token: 'regexp', foreground: 'D18FB8' },
        ]
      : [],
    colors: {
      'editor.background': cssColor('--surface', dark ? '#1a1d21' : '#ffffff'),
      'editorGutter.background': cssColor('--surface', dark ? '#1a1d21' : '#ffffff'),
      'focusBorder': cssColor('--focus', dark ? '#9cc2ff' : '#0a58ca'),
    },
  });
  monaco.editor.setTheme(name);
}
applyTheme();
darkQuery.addEventListener('change', applyTheme);

// ---- Monaco's own CSS ----
// Monaco's modules import their CSS. Astro would hoist those imports into every lesson page's HTML
// (outside the lazy boundary), so astro.config.mjs turns them into inline strings collected in a virtual
// module; the styles are added here, when the editor loads. See `monacoCssInline` in astro.config.mjs.

// ---- Library types (express, express-session, ioredis, socket.io) ----

interface EditorTypes {
  version: 1;
  libs: Record<string, string>;
}

let typesLoading: Promise<boolean> | undefined;

/**
 * Fetches the declarations (collected by playground/build/editor-types.ts) once per page and hands them to the
 * TypeScript service. Resolves false when that fails: the editor still works, without library IntelliSense.
 */
export function loadLibraryTypes(): Promise<boolean> {
  typesLoading ??= (async () => {
    try {
      const response = await fetch(new URL(editorTypesUrl, location.href));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = (await response.json()) as EditorTypes;
      const libs = Object.entries(data.libs).map(([filePath, content]) => ({ filePath, content }));
      javascriptDefaults.setExtraLibs(libs);
      typescriptDefaults.setExtraLibs(libs);
      return true;
    } catch (error) {
      console.warn(`Editor: library types not loaded (${(error as Error).message}); completions cover the language only.`);
      return false;
    }
  })();
  return typesLoading;
}
