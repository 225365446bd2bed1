/**
 * Build-time Vite plugins for the Editor panel (used by astro.config.mjs), not browser code.
 *
 * 1. monaco's CSS stays lazy. monaco-editor's ES modules import their own CSS (`import './x.css';`, ~140 files).
 *    In an Astro build, CSS imported anywhere below a page's client scripts — even behind a dynamic import() —
 *    is hoisted into the page as <link rel="stylesheet">, so every lesson page would download ~175 KB of editor
 *    CSS before anyone opens the editor. Here each of those imports becomes a tiny module that adds the CSS text
 *    (`?inline`) to one <style> element when it runs, i.e. inside the lazily loaded editor chunk, in monaco's
 *    import order. Fonts referenced by url() (codicons) are still emitted as hashed assets.
 *
 * 2. The lab libraries' type declarations. `virtual:editor-types-url` exports the URL of one JSON file with the
 *    .d.ts files the editor's TypeScript service needs (collected by playground/build/editor-types.ts from
 *    node_modules). `astro build` emits it as a hashed asset; `astro dev` serves it from memory. Nothing to run
 *    before a build, nothing generated in the source tree, and it is fetched only when the editor loads.
 */
import type { Plugin, ResolvedConfig } from 'vite';

const STYLE = '\0monaco-style';
const PREFIX = '\0monaco-css:';
const SUFFIX = '.inject.js';
const MONACO = /[\\/]node_modules[\\/]monaco-editor[\\/]esm[\\/]/;

export function monacoInlineCss(): Plugin {
  return {
    name: 'stateless-lab:monaco-inline-css',
    enforce: 'pre',
    async resolveId(id, importer, options) {
      if (id === STYLE) return STYLE;
      if (!importer || !MONACO.test(importer) || !/\.css$/.test(id)) return undefined;
      const resolved = await this.resolve(id, importer, { ...options, skipSelf: true });
      // The id must not end in .css, or Vite's CSS plugins would treat this JavaScript as CSS.
      return resolved ? `${PREFIX}${resolved.id}${SUFFIX}` : undefined;
    },
    load(id) {
      if (id === STYLE) {
        return [
          'let style;',
          'export function addMonacoCss(css) {',
          "  if (!style) { style = document.createElement('style'); style.dataset.styles = 'monaco'; document.head.append(style); }",
          '  style.append(css);',
          '}',
        ].join('\n');
      }
      if (!id.startsWith(PREFIX) || !id.endsWith(SUFFIX)) return undefined;
      const file = id.slice(PREFIX.length, -SUFFIX.length);
      return `import css from ${JSON.stringify(file + '?inline')};\nimport { addMonacoCss } from ${JSON.stringify(STYLE)};\naddMonacoCss(css);\n`;
    },
  };
}

const TYPES = 'virtual:editor-types-url';
const TYPES_RESOLVED = '\0' + TYPES;
const DEV_PATH = '/@stateless-lab/editor-types.json';

export function editorTypes(): Plugin {
  let config: ResolvedConfig;
  let json: Promise<string> | undefined;
  const collect = () =>
    (json ??= import('../playground/build/editor-types.ts').then(({ collectEditorTypes }) => JSON.stringify({ version: 1, libs: collectEditorTypes() })));
  return {
    name: 'stateless-lab:editor-types',
    configResolved(resolved) {
      config = resolved;
    },
    resolveId(id) {
      return id === TYPES ? TYPES_RESOLVED : undefined;
    },
    async load(id) {
      if (id !== TYPES_RESOLVED) return undefined;
      if (config.command === 'serve') return `export default ${JSON.stringify(config.base.replace(/\/$/, '') + DEV_PATH)};`;
      const reference = this.emitFile({ type: 'asset', name: 'editor-types.json', source: await collect() });
      return `export default import.meta.ROLLUP_FILE_URL_${reference};`;
    },
    configureServer(server) {
      server.middlewares.use(DEV_PATH, (_request, response, next) => {
        collect().then(
          (body) => {
            response.setHeader('Content-Type', 'application/json');
            response.end(body);
          },
          (error: Error) => next(error),
        );
      });
    },
  };
}

/** Both plugins, for astro.config.mjs: `vite: { plugins: [editorPlugins()] }`. */
export function editorPlugins(): Plugin[] {
  return [monacoInlineCss(), editorTypes()];
}
