// @ts-check
import { defineConfig } from 'astro/config';
// Editor panel: keeps monaco-editor's CSS inside the lazy editor chunk, and emits the lab libraries' type
// declarations for its IntelliSense (see the header of editor-vite-plugins.ts).
import { editorPlugins } from './integrations/editor-vite-plugins.ts';
// In-browser runtime: builds public/sandbox/lab.snapshot (lab engine + its packages) when it is missing or stale.
import { labAssets } from './integrations/lab-assets.ts';

/**
 * Cross-origin isolation: the in-browser lab runtime (WebContainer) needs SharedArrayBuffer,
 * which browsers only grant to pages that are cross-origin isolated. The same three headers are
 * sent by `astro dev`, `astro preview`, the production server (playground/server/static-site.ts)
 * and static hosts (public/_headers).
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  output: 'static',
  integrations: [labAssets()],
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  server: { host: '127.0.0.1', port: 4321, headers: isolationHeaders },
  devToolbar: { enabled: false },
  markdown: {
    shikiConfig: {
      themes: { light: 'github-light-default', dark: 'github-dark-default' },
      defaultColor: false,
    },
  },
  vite: {
    plugins: [editorPlugins()],
    // Astro's prerender bundle imports `cookie` v2 (ESM); express hoists cookie 0.7 (CJS) to the
    // top of node_modules, so bundle Astro's own copy instead of resolving it from dist/.
    resolve: { noExternal: ['cookie'] },
    server: { headers: isolationHeaders },
    preview: { headers: isolationHeaders },
  },
});
