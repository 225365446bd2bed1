/**
 * Page weight and Lighthouse scores of the course map and a lesson page.
 *
 *   npm run bench:site                 serve dist/ (built if missing) and measure
 *   npm run bench:site -- --build      rebuild first
 *   npm run bench:site -- --no-lighthouse
 *   npm run bench:site -- http://127.0.0.1:4321   measure a running server
 *
 * Weight: every response Chromium receives while loading the page on a phone-sized screen, where the
 * playground panel is hidden, so nothing of the playground loads; then the extra bytes once the
 * "Playground" toggle is pressed. Sizes are raw and gzip -9 of the response bodies.
 * Lighthouse 12 (devDependency) runs against Debian's Chromium (CHROME_PATH, default /usr/bin/chromium),
 * mobile and desktop presets, performance and accessibility. Results also go to bench/results/site-weight.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, ensureSite } from './site-common.ts';
import { anyFreePort } from '../playground/lab/ports.js';

type Kind = 'html' | 'css' | 'js' | 'other';
interface Tally {
  raw: number;
  gzip: number;
  files: number;
}
type Weight = Record<Kind, Tally>;

const PAGES = [
  { name: 'course map', path: '/' },
  { name: 'lesson page', path: '/lessons/map-trap/' },
];

const args = process.argv.slice(2);
const baseArg = args.find((a) => a.startsWith('http'));
const withLighthouse = !args.includes('--no-lighthouse');

const emptyWeight = (): Weight => ({
  html: { raw: 0, gzip: 0, files: 0 },
  css: { raw: 0, gzip: 0, files: 0 },
  js: { raw: 0, gzip: 0, files: 0 },
  other: { raw: 0, gzip: 0, files: 0 },
});

function kindOf(contentType: string): Kind {
  if (contentType.includes('html')) return 'html';
  if (contentType.includes('css')) return 'css';
  if (contentType.includes('javascript')) return 'js';
  return 'other';
}

/** Records every response body the page receives from now on into `weight`. */
function record(page: Page, weight: Weight, seen: Set<string>): () => Promise<void> {
  const pending: Promise<void>[] = [];
  page.on('response', (response) => {
    pending.push(
      (async () => {
        if (seen.has(response.url()) || response.status() >= 300) return;
        seen.add(response.url());
        const body = await response.body().catch(() => Buffer.alloc(0));
        const tally = weight[kindOf(response.headers()['content-type'] ?? '')];
        tally.raw += body.length;
        tally.gzip += gzipSync(body, { level: 9 }).length;
        tally.files += 1;
      })(),
    );
  });
  return async () => {
    await Promise.all(pending);
  };
}

/** Inline <script> and <style> in the HTML are part of the HTML's bytes; count them too for the JS/CSS story. */
async function inlineSizes(page: Page): Promise<{ js: number; css: number }> {
  return page.evaluate(() => ({
    js: [...document.querySelectorAll('script:not([src]):not([type="application/json"])')].reduce((n, s) => n + (s.textContent?.length ?? 0), 0),
    css: [...document.querySelectorAll('style')].reduce((n, s) => n + (s.textContent?.length ?? 0), 0),
  }));
}

async function measureWeight(base: string) {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const results = [];
  try {
    for (const target of PAGES) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await context.newPage();
      const before = emptyWeight();
      const seen = new Set<string>();
      let settle = record(page, before, seen);
      await page.goto(base + target.path, { waitUntil: 'networkidle' });
      await settle();
      const inline = await inlineSizes(page);

      let playground: Weight | undefined;
      const toggle = page.getByRole('button', { name: 'Playground' });
      if (await toggle.count()) {
        page.removeAllListeners('response');
        playground = emptyWeight();
        settle = record(page, playground, seen);
        await toggle.click();
        await page.waitForSelector('[data-playground-ready]', { timeout: 30_000 });
        await page.waitForLoadState('networkidle');
        await settle();
      }
      results.push({ ...target, before, inline, playground });
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return results;
}

interface Scores {
  performance: number | null;
  accessibility: number | null;
  lcpMs: number | null;
  tbtMs: number | null;
  cls: number | null;
}

async function runLighthouse(base: string): Promise<Record<string, Record<string, Scores>> | { error: string }> {
  let lighthouse: typeof import('lighthouse').default;
  try {
    lighthouse = (await import('lighthouse')).default;
  } catch (error) {
    return { error: `lighthouse is not installed (${(error as Error).message}); run npm install` };
  }
  const port = await anyFreePort();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, `--remote-debugging-port=${port}`],
  });
  const out: Record<string, Record<string, Scores>> = {};
  try {
    for (const target of PAGES) {
      out[target.name] = {};
      for (const preset of ['mobile', 'desktop'] as const) {
        const config =
          preset === 'desktop' ? (await import('lighthouse/core/config/desktop-config.js')).default : undefined;
        const result = await lighthouse(
          base + target.path,
          { port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'] },
          config,
        );
        const lhr = result?.lhr;
        if (!lhr) throw new Error(`Lighthouse returned no result for ${target.path}`);
        if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
        const score = (id: string) => {
          const s = lhr.categories[id]?.score;
          return typeof s === 'number' ? Math.round(s * 100) : null;
        };
        const metric = (id: string) => lhr.audits[id]?.numericValue ?? null;
        out[target.name]![preset] = {
          performance: score('performance'),
          accessibility: score('accessibility'),
          lcpMs: metric('largest-contentful-paint'),
          tbtMs: metric('total-blocking-time'),
          cls: metric('cumulative-layout-shift'),
        };
      }
    }
  } finally {
    await browser.close();
  }
  return out;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

const site = await ensureSite(baseArg);
try {
  const weights = await measureWeight(site.url);
  console.log('\nPage weight (phone-sized screen, playground hidden; raw / gzip -9)\n');
  for (const w of weights) {
    console.log(`${w.name} (${w.path})`);
    for (const kind of ['html', 'css', 'js', 'other'] as const) {
      const t = w.before[kind];
      if (t.files) console.log(`  ${kind.padEnd(5)} ${String(t.files).padStart(2)} file(s)  ${kb(t.raw).padStart(9)} / ${kb(t.gzip).padStart(8)}`);
    }
    console.log(`  inline in the HTML: ${kb(w.inline.js)} script, ${kb(w.inline.css)} style (raw)`);
    console.log(`  JS before the playground loads: ${kb(w.before.js.gzip)} gzip (aim: < 50 KB)`);
    if (w.playground) {
      const p = w.playground;
      console.log(`  + playground when shown: ${kb(p.js.gzip)} JS, ${kb(p.css.gzip)} CSS gzip (${p.js.files + p.css.files} file(s))`);
    }
    console.log('');
  }

  let lighthouse: Awaited<ReturnType<typeof runLighthouse>> | undefined;
  if (withLighthouse) {
    lighthouse = await runLighthouse(site.url);
    if ('error' in lighthouse) {
      console.log(`Lighthouse: ${lighthouse.error}`);
    } else {
      console.log('Lighthouse 12 (simulated throttling; performance / accessibility)\n');
      for (const [name, presets] of Object.entries(lighthouse)) {
        for (const [preset, s] of Object.entries(presets)) {
          console.log(
            `  ${name.padEnd(12)} ${preset.padEnd(8)} ${s.performance}/${s.accessibility}` +
              `   LCP ${Math.round(s.lcpMs ?? 0)} ms, TBT ${Math.round(s.tbtMs ?? 0)} ms, CLS ${(s.cls ?? 0).toFixed(3)}`,
          );
        }
      }
    }
  }

  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'site-weight.json'), `${JSON.stringify({ date: new Date().toISOString(), weights, lighthouse }, null, 2)}\n`);
  console.log(`\nSaved bench/results/site-weight.json`);
} finally {
  await site.close();
}
