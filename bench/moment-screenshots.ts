/**
 * Screenshots of the lesson's moment in the Map trap, before and after the fix, at 1440×900, 1280×720 and 390×844,
 * into bench/results/screenshots/moment-*.png, with the regions that must be on screen and whether they are.
 *
 * Before: the starter runs, Alice logs in and visits until an instance that never saw her login answers.
 * After: the solution's files are imported (an edit like typing), Ctrl+S rolls them out, Alice logs in and visits.
 *
 * Usage: node bench/moment-screenshots.ts   (builds dist/ first when it is missing; runs `npm start`'s server)
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { momentOnScreen } from '../tests/support/moment-on-screen.ts';
import { buildSite, CHROMIUM_ARGS, CHROMIUM_PATH, dist, projectRoot } from './site-common.ts';
import { spawnStart } from '../scripts/lib/spawn-start.ts';
import { exportZip } from '../playground/client/workspace/lab-zip.ts';

const out = join(import.meta.dirname, 'results', 'screenshots');
mkdirSync(out, { recursive: true });

function filesOf(dir: string): { path: string; content: string }[] {
  const files: { path: string; content: string }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.push({ path: relative(dir, full), content: readFileSync(full, 'utf8') });
    }
  };
  walk(dir);
  return files;
}

const lessonDir = join(projectRoot, 'src', 'lessons', readdirSync(join(projectRoot, 'src', 'lessons')).find((d) => d.endsWith('-map-trap'))!);
const zipPath = join(out, 'map-trap-solution.zip');
writeFileSync(zipPath, exportZip('map-trap', filesOf(join(lessonDir, 'solution')).filter((f) => f.path !== 'package.json')));

async function visits(page: Page, count: number) {
  const alice = page.locator('.pg-users [data-user="alice"]');
  for (let i = 0; i < count; i++) {
    await alice.getByRole('button', { name: 'Visit as Alice' }).click();
    await page.waitForTimeout(150);
  }
}

if (!process.env.SKIP_BUILD) buildSite();
const server = await spawnStart({ env: { ...process.env, SITE_DIR: dist } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
    [390, 844],
  ] as const) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${server.url}/lessons/map-trap/`);
    if (width < 900) await page.getByRole('button', { name: 'Playground', exact: true }).click();
    await page.waitForSelector('[data-playground-ready]', { timeout: 60_000 });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('.pg-cluster [data-instance][data-state="up"]').length >= 3, null, { timeout: 60_000 });
    if (width < 900 && !(await page.locator('.pg-users [data-user="alice"]').isVisible())) await page.getByRole('button', { name: 'Cluster', exact: true }).click();
    await page.getByRole('button', { name: 'Log in as Alice' }).click();
    await visits(page, 4);
    await page.waitForTimeout(600);
    const before = join(out, `moment-before-${width}x${height}.png`);
    await page.screenshot({ path: before });
    console.log(before, JSON.stringify(await momentOnScreen(page)));

    await page.locator('input[type=file][aria-label="Zip file to import"]').setInputFiles(zipPath);
    await page.locator('.pg-notice').filter({ hasText: /Imported/ }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+S');
    await page.locator('.pg-notice').filter({ hasText: /rolled it out/ }).waitFor({ timeout: 90_000 });
    await page.getByRole('button', { name: 'Log in as Alice' }).click();
    await visits(page, 4);
    await page.waitForTimeout(2500);
    const after = join(out, `moment-after-${width}x${height}.png`);
    await page.screenshot({ path: after });
    console.log(after, JSON.stringify(await momentOnScreen(page)));
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
