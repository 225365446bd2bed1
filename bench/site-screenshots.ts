/**
 * Screenshots of the course map and a lesson page at desktop and phone widths, light and dark,
 * into bench/results/screenshots/. Usage: node bench/site-screenshots.ts [baseUrl]
 * Without a URL it serves dist/ (building it first when missing) on a free port.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ensureSite, CHROMIUM_ARGS, CHROMIUM_PATH } from './site-common.ts';

const out = join(import.meta.dirname, 'results', 'screenshots');
mkdirSync(out, { recursive: true });

const site = await ensureSite(process.argv[2]);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const shots = [
    { name: 'map', path: '/' },
    { name: 'lesson', path: '/lessons/map-trap/' },
  ];
  const sizes = [
    { name: 'desktop', width: 1280, height: 800 },
    { name: 'phone', width: 390, height: 844 },
  ];
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const size of sizes) {
      const page = await browser.newPage({ viewport: { width: size.width, height: size.height }, colorScheme });
      for (const shot of shots) {
        await page.goto(site.url + shot.path, { waitUntil: 'networkidle' });
        const file = join(out, `${shot.name}-${size.name}-${colorScheme}.png`);
        await page.screenshot({ path: file, fullPage: process.env.FULL === '1' });
        console.log(file);
        if (shot.name === 'lesson' && size.name === 'phone') {
          await page.getByRole('button', { name: 'Playground' }).click();
          await page.waitForSelector('[data-playground-ready]');
          const pg = join(out, `${shot.name}-${size.name}-${colorScheme}-playground.png`);
          await page.screenshot({ path: pg });
          console.log(pg);
        }
      }
      await page.close();
    }
  }
} finally {
  await browser.close();
  await site.close();
}
