/**
 * The fix, the way a learner makes it: open "Sessions in Redis", run the starter, replace it with the solution by
 * typing into the editor, save (a rolling deploy), and pass the checks — against `npm start`'s real server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, projectRoot } from './helpers.ts';

const base = inject('siteUrl');
const solution = readFileSync(join(projectRoot, 'src/lessons/04-sessions-in-redis/solution/server.js'), 'utf8');
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('playground', () => {
  it('typing the fix into the editor and saving rolls it out, and the checks pass', { timeout: 180_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/lessons/sessions-in-redis/`);
    await page.locator('.pg-root[data-playground-ready]').waitFor({ timeout: 30_000 });
    const status = page.locator('.pg-status-line');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await status.filter({ hasText: /Running: all 3 instances up/ }).waitFor({ timeout: 60_000 });

    const editor = page.getByRole('region', { name: 'Editor' });
    await editor.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText types the text as one input, so the editor's auto-closing brackets do not double anything.
    await page.keyboard.insertText(solution);
    await editor.getByText(/Unsaved/).first().waitFor();
    await page.keyboard.press('Control+s');
    await page.locator('.pg-notice').filter({ hasText: /rolled it out to every instance/ }).waitFor({ timeout: 60_000 });
    await status.filter({ hasText: /Running: all 3 instances up/ }).waitFor({ timeout: 30_000 });

    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const checks = page.getByRole('region', { name: 'Checks' });
    await checks.getByText(/All \d+ checks passed/).waitFor({ timeout: 120_000 });
    await expect(checks.innerText()).resolves.not.toMatch(/failed/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a failed check says how to see it again: the seed and the request that showed it', { timeout: 180_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/lessons/map-trap/`);
    await page.locator('.pg-root[data-playground-ready]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const checks = page.getByRole('region', { name: 'Checks' });
    await checks.getByText(/passed, \d+ failed/).waitFor({ timeout: 120_000 });
    const first = checks.locator('details[open]').first();
    await expect(first.innerText()).resolves.toMatch(/Expected .*observed/s);
    const rerun = first.locator('.pg-check-rerun');
    await expect(rerun.innerText()).resolves.toMatch(/Seed (\d+).*npm run check -- map-trap --seed \1 --only "/s);
    await expect(rerun.locator('code').last().innerText()).resolves.toMatch(/^curl -i .*http:\/\/127\.0\.0\.1:3000\//);
    await context.close();
  });
});
