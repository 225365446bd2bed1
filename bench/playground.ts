// node bench/playground.ts [--runs=5] [--url=http://127.0.0.1:4321]
// The playground as a learner meets it, in Chromium against `npm start`'s server (site + lab host): time from
// clicking Run to every instance up, from Ctrl+S to the change rolled out, and the JavaScript bytes it loads.
// Baseline in the same run: the same cluster started headlessly through the lab host's code path (LabProcess).
import { chromium } from 'playwright-core';
import { LabProcess } from '../playground/server/lab-process.ts';
import { loadLesson } from '../playground/course/lessons.ts';
import { startCommand } from '../playground/protocol/start-command.ts';
import { spawnStart } from '../scripts/lib/spawn-start.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, buildSite } from './site-common.ts';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);
const given = process.argv.find((a) => a.startsWith('--url='))?.slice(6);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  if (given) return { url: given.replace(/\/$/, ''), stop: async () => undefined };
  buildSite(process.argv.includes('--build'));
  return spawnStart();
}

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const runToUp: number[] = [];
const saveToDeployed: number[] = [];
const jsBytes: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let bytes = 0;
    page.on('response', async (response) => {
      if (!/\.js(\?|$)/.test(response.url())) return;
      const length = Number((await response.allHeaders())['content-length'] ?? 0);
      bytes += length || (await response.body().catch(() => Buffer.alloc(0))).length;
    });
    await page.goto(`${server.url}/lessons/sessions-in-redis/`);
    await page.locator('[data-playground-ready]').waitFor({ timeout: 60_000 });
    const status = page.locator('.pg-status-line');
    let started = performance.now();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await status.filter({ hasText: /Running: 3 of 3 instances up/ }).waitFor({ timeout: 60_000 });
    runToUp.push(performance.now() - started);
    jsBytes.push(bytes);

    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(`\n// edit ${i}\n`);
    started = performance.now();
    await page.keyboard.press('Control+s');
    await page.locator('.pg-notice').filter({ hasText: /rolled it out/ }).waitFor({ timeout: 60_000 });
    saveToDeployed.push(performance.now() - started);
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}

// Baseline: the same start without a browser, UI or WebSocket in between.
const lesson = await loadLesson('sessions-in-redis');
const baseline: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const lab = await LabProcess.create({ files: lesson.starter });
  try {
    await lab.send(startCommand(lesson.meta.lab));
    baseline.push(performance.now() - started);
  } finally {
    await lab.destroy();
  }
}

console.log(`Playground, sessions-in-redis, ${runs} runs (median, min, max)`);
console.log(`  click Run → 3 of 3 instances up (browser):     ${fmt(runToUp)}`);
console.log(`  baseline: LabProcess create + start (no UI):    ${fmt(baseline)}`);
console.log(`  Ctrl+S → change rolled out to every instance:   ${fmt(saveToDeployed)}`);
console.log(`  JavaScript loaded by the page and playground:   ${(median(jsBytes) / 1024).toFixed(0)} KiB as transferred`);
