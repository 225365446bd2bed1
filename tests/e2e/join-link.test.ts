/**
 * A class host with a join token, in a real browser: without the link the page says what to do and no lab
 * opens; after opening the link once, labs run.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnStart, type StartedServer } from '../../scripts/lib/spawn-start.ts';
import { launchChromium } from './helpers.ts';

const token = 'e2e-class-join-token';
let browser: Browser;
let host: StartedServer;
beforeAll(async () => {
  browser = await launchChromium();
  host = await spawnStart({ env: { ...process.env, LAB_JOIN_TOKEN: token } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('join link', () => {
  it('without it the page asks for it; with it the lab runs', { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${host.url}/lessons/any-server/?runtime=server`);
    const status = page.locator('.pg-status-line');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toMatch(/join link/);

    await page.goto(`${host.url}/lessons/any-server/?join=${token}`);
    // The link is taken out of the address once the cookie is set.
    expect(new URL(page.url()).searchParams.get('join')).toBeNull();
    expect((await context.cookies()).find((c) => c.name === 'lab_join')).toMatchObject({ httpOnly: true });
    await page.goto(`${host.url}/lessons/any-server/?runtime=server`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/Running:|All 3 instances crashed:/);
    await context.close();
  });
});
