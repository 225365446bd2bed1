/**
 * Choosing a runtime in a real browser. This machine cannot reach StackBlitz, so a forced in-browser sandbox must
 * time out, say so in words, keep the tab responsive, and offer the lab host, which then runs the lab.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from './helpers.ts';

const base = inject('siteUrl');
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('runtime choice', () => {
  it('the site tells pages it has a lab host, preferred for automatic choice', async () => {
    const response = await fetch(`${base}/lab`, { headers: { accept: 'application/json' } });
    expect(await response.json()).toEqual({ labHost: true, prefer: 'server', joined: true });
  });

  it('?runtime=webcontainer times out offline, keeps the tab responsive, and offers the lab host', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/lessons/map-trap/?runtime=webcontainer`);
    const status = page.locator('.pg-status-line');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/Starting the in-browser sandbox/);
    // While the sandbox tries to boot, the page still answers.
    const started = Date.now();
    expect(await page.evaluate(() => 21 * 2)).toBe(42);
    expect(Date.now() - started).toBeLessThan(2000);
    await page.getByRole('button', { name: /hint/i }).first().click({ timeout: 5000 }).catch(() => undefined);
    await expect.poll(() => status.textContent(), { timeout: 45_000 }).toMatch(/did not start within \d+ s/);
    const useHost = page.getByRole('button', { name: 'Use the lab host' });
    await expect.poll(() => useHost.isVisible()).toBe(true);
    await useHost.click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/Running: all 3 instances up/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('?runtime=server goes straight to the lab host', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${base}/lessons/any-server/?runtime=server`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.locator('.pg-status-line').textContent(), { timeout: 30_000 }).toMatch(/Running:|All 3 instances crashed:/);
    await page.close();
  });
});
