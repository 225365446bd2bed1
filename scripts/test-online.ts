// npm run test:online — the one test that needs the real WebContainer, so it needs the internet (StackBlitz's
// servers). Without a network it is skipped, saying why; CI machines here are offline, so `npm test` never runs it.
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from './lib/chromium.ts';
import { spawnStart } from './lib/spawn-start.ts';

async function reachable(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return response.ok || response.status < 500 ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    return (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
  }
}

const why = await reachable('https://stackblitz.com/');
if (why) {
  console.log(`test:online skipped: StackBlitz is not reachable from here (${why}), so a real WebContainer cannot boot.`);
  console.log('0 passed, 0 failed, 1 skipped');
  process.exit(0);
}

const server = await spawnStart({ args: ['--build'], env: { ...process.env, LAB_RUNTIME: 'webcontainer' } });
const url = server.url;

// Network on, unlike the offline tests: the real WebContainer must reach StackBlitz.
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
let failed = 0;
try {
  const page = await browser.newPage();
  await page.goto(`${url}/lessons/sessions-in-redis/?runtime=webcontainer`);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('.pg-status-line').filter({ hasText: /Running: 3 of 3 instances up/ }).waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await page.getByRole('region', { name: 'Checks' }).getByText(/passed/).waitFor({ timeout: 120_000 });
  console.log('✓ the starter cluster runs and is graded inside a real WebContainer');
} catch (error) {
  failed = 1;
  console.error(`✗ real WebContainer: ${(error as Error).message}`);
} finally {
  await browser.close();
  await server.stop();
}
console.log(`${1 - failed} passed, ${failed} failed`);
process.exit(failed);
