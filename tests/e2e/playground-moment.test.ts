/**
 * The playground shows the lesson's moment and only what is true, in Chromium against `npm start`'s server:
 * - at 1440×900 and 1280×720, after Run, the editor, every instance, every user and the newest request are on
 *   screen without scrolling; on a 390×844 phone the Cluster view holds every instance and every user, and the
 *   Code view the editor; the sticky chrome takes at most a quarter of the height;
 * - Apply (an edit like typing) leaves the cluster on the old code until Ctrl+S, pressed anywhere on the page,
 *   rolls it out;
 * - a check leaves the learner's cluster shape and users log as they were;
 * - focus stays on the control that acted; Ctrl+Enter runs from the lesson text; axe finds nothing serious.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { momentOnScreen } from '../support/moment-on-screen.ts';
import { launchChromium } from './helpers.ts';

const base = inject('siteUrl');
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function openMapTrap(width: number, height: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  await page.goto(`${base}/lessons/map-trap/`);
  if (width < 900) await page.getByRole('button', { name: 'Playground', exact: true }).click();
  await page.locator('.pg-root[data-playground-ready]').waitFor({ timeout: 60_000 });
  return page;
}

const upCount = (page: Page) => page.locator('.pg-cluster .pg-inst[data-state="up"]').count();

async function runCluster(page: Page, instances = 3): Promise<void> {
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => upCount(page), { timeout: 60_000 }).toBe(instances);
}

/** Alice logs in, then visits until the page shows an instance that never saw her login answering. */
async function showTheMoment(page: Page): Promise<void> {
  const alice = page.locator('.pg-users .pg-user-row[data-user="alice"]');
  await alice.getByRole('button', { name: 'Log in as Alice' }).click();
  await expect.poll(() => alice.locator('.pg-user-state').innerText(), { timeout: 10_000 }).toMatch(/logged in/);
  for (let i = 0; i < 4; i++) {
    await alice.getByRole('button', { name: 'Visit as Alice' }).click();
    await page.waitForTimeout(200);
  }
  await expect.poll(() => page.locator('.pg-users .pg-log-row').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
}

/** The learner's rows: her users' results (a note the page adds, such as "checks started", is not one). */
const learnerRows = (page: Page) => page.locator('.pg-users .pg-log > .pg-log-row:not([data-kind="notice"])').allInnerTexts();

describe('the lesson’s moment on one screen', () => {
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
    [390, 844],
  ] as const) {
    it(`at ${width}×${height}, after Run, the editor, every instance, every user and the newest request are on screen`, { timeout: 120_000 }, async () => {
      const page = await openMapTrap(width, height);
      await runCluster(page);
      await showTheMoment(page);
      const shown = await momentOnScreen(page);
      expect(shown.chromeBottom).toBeLessThanOrEqual(height / 4);
      // A phone shows what the learner needs first: every instance with whom it knows, and every user's state; the
      // log of requests is right under them.
      const needed = width >= 900 ? { instances: true, users: true, newestRequest: true } : { instances: true, users: true };
      expect({ instances: shown.instances, users: shown.users, ...(width >= 900 ? { newestRequest: shown.newestRequest } : {}) }).toEqual(needed);
      if (width >= 900) expect(shown.editor).toBe(true);
      else {
        // One tap away on a phone: the Code view, with the sticky chrome still small.
        await page.getByRole('button', { name: 'Code', exact: true }).click();
        const code = await momentOnScreen(page);
        expect(code.editor).toBe(true);
        expect(code.chromeBottom).toBeLessThanOrEqual(height / 4);
      }
      // Nothing forces a horizontal scrollbar.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
      const axe = await new AxeBuilder({ page }).analyze();
      const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(bad).toEqual([]);
      await page.context().close();
    });
  }
});

describe('what you see is what runs', () => {
  it('Apply leaves the old code running until Ctrl+S (pressed outside the editor) rolls the solution out', { timeout: 180_000 }, async () => {
    const page = await openMapTrap(1440, 900);
    await runCluster(page);
    const code = page.locator('.pg-running-code');
    await expect.poll(() => code.getAttribute('data-state')).toBe('same');

    await page.getByRole('button', { name: 'Show solution' }).click();
    const dialog = page.getByRole('dialog', { name: 'Solution' });
    await dialog.getByRole('button', { name: /^Apply server\.js$/ }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => code.getAttribute('data-state')).toBe('differs');
    await expect(code.innerText()).resolves.toMatch(/runs older code: server\.js changed/);
    await expect(page.getByRole('region', { name: 'Editor' }).getByText(/Unsaved: server\.js/).count()).resolves.toBe(1);

    // The old code still serves: a login on one instance is unknown on the next.
    const alice = page.locator('.pg-users .pg-user-row[data-user="alice"]');
    await alice.getByRole('button', { name: 'Log in as Alice' }).click();
    await alice.getByRole('button', { name: 'Visit as Alice' }).click();
    await expect.poll(() => alice.locator('.pg-user-state').innerText(), { timeout: 10_000 }).toMatch(/logged out/);

    // Ctrl+S from the page (focus on the toolbar, not in the editor) saves and rolls out.
    await page.getByRole('button', { name: 'Check', exact: true }).focus();
    await page.keyboard.press('Control+s');
    await page.locator('.pg-notice').filter({ hasText: /rolled it out to every instance/ }).waitFor({ timeout: 90_000 });
    await expect.poll(() => code.getAttribute('data-state')).toBe('same');
    await expect.poll(() => upCount(page), { timeout: 60_000 }).toBe(3);

    await alice.getByRole('button', { name: 'Log in as Alice' }).click();
    await expect.poll(() => alice.locator('.pg-user-state').innerText(), { timeout: 10_000 }).toMatch(/logged in/);
    const before = (await learnerRows(page)).length;
    for (let i = 0; i < 6; i++) await alice.getByRole('button', { name: 'Visit as Alice' }).click();
    await expect.poll(async () => (await learnerRows(page)).length, { timeout: 10_000 }).toBe(before + 6);
    const visits = (await learnerRows(page)).slice(before);
    expect(visits.filter((row) => /logged out/.test(row))).toEqual([]);
    expect(new Set(visits.map((row) => /→ ([A-Z])/.exec(row)?.[1])).size).toBeGreaterThan(1);
    await page.context().close();
  });
});

describe('checks do not rewrite the learner’s world', () => {
  it('after a check the cluster has the learner’s shape and the users log holds only the learner’s rows', { timeout: 240_000 }, async () => {
    const page = await openMapTrap(1440, 900);
    await runCluster(page);
    const add = page.getByRole('button', { name: /Add/ }).first();
    await add.click();
    await expect.poll(() => upCount(page), { timeout: 60_000 }).toBe(4);
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).not.toBe('BODY');
    await showTheMoment(page);
    const rows = await learnerRows(page);

    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const checks = page.getByRole('region', { name: 'Checks' });
    await checks.getByText(/passed, \d+ failed/).waitFor({ timeout: 180_000 });
    await expect.poll(() => upCount(page), { timeout: 60_000 }).toBe(4);
    expect(await page.locator('.pg-cluster .pg-inst').count()).toBe(4);
    await page.getByRole('button', { name: 'Users', exact: true }).click();
    expect(await learnerRows(page)).toEqual(rows);
    await page.context().close();
  });
});

describe('keyboard', () => {
  it('Ctrl+Enter runs from the lesson text, and focus stays on Kill’s instance after Kill', { timeout: 120_000 }, async () => {
    const page = await openMapTrap(1440, 900);
    await page.locator('#lesson-pane h1').click();
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => upCount(page), { timeout: 60_000 }).toBe(3);
    const kill = page.getByRole('button', { name: /^Kill( instance)? B$/ });
    await kill.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.pg-cluster .pg-inst[data-instance="B"]').getAttribute('data-state'), { timeout: 20_000 }).toMatch(/crashed|starting|up/);
    const focused = await page.evaluate(() => ({ tag: document.activeElement?.tagName, inCluster: Boolean(document.activeElement?.closest('.pg-cluster')) }));
    expect(focused).toEqual({ tag: 'BUTTON', inCluster: true });
    await page.context().close();
  });
});
