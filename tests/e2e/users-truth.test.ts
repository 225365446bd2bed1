/**
 * The users panel tells the Map trap's story, and only what is true: with steady traffic on, the page counts each
 * user's unexpected logouts and shows the forced re-logins as rows of their own; the graded checks' traffic stays
 * out of the learner's rows, grouped per check; a terminal lets Tab leave it. Against the real site and lab host.
 * Screenshots land in SCREENSHOT_DIR (default: a temporary folder) for a human to look at.
 */
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from './helpers.ts';

const base = inject('siteUrl');
const shots = process.env.SCREENSHOT_DIR ?? join(tmpdir(), 'stateless-lab-screens');
mkdirSync(shots, { recursive: true });

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Shows a view of the playground (Users, Checks, Terminal…) when its panel is not on screen. */
async function show(page: Page, view: string, panel: string): Promise<void> {
  if (await page.locator(panel).isVisible()) return;
  await page.locator('.pg-views:visible').getByRole('button', { name: view, exact: true }).click();
  await page.locator(panel).waitFor();
}

async function runCluster(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  for (const name of ['A', 'B', 'C']) {
    await page.locator(`[data-instance="${name}"] .pg-state-word`).filter({ hasText: /^up$/ }).waitFor({ timeout: 45_000 });
  }
}

/** The learner's own log rows (not those inside a check's group), as text. */
function learnerRows(page: Page): Promise<string[]> {
  return page.locator('.pg-userspanel .pg-log > .pg-log-row').evaluateAll((rows) => rows.map((r) => (r.textContent ?? '').replace(/\s+/g, ' ').trim()));
}

describe('the users panel shows the lesson’s moment, and only what is true', () => {
  it('counts logouts and re-logins under steady traffic, keeps the checks’ traffic apart, and lets Tab leave a terminal', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/lessons/map-trap/`);
    await runCluster(page);
    await show(page, 'Users', '.pg-userspanel');
    const users = page.locator('.pg-userspanel');

    // Steady traffic over the Map trap: users keep losing their sessions on the instances that never saw them.
    await users.getByRole('switch', { name: /Steady traffic/ }).click();
    const tally = users.locator('.pg-user-tally').filter({ hasText: /[1-9]\d* logouts? in the last minute \((on [A-C]|[A-C] \d+(, [A-C] \d+)*)\)/ });
    await tally.first().waitFor({ state: 'attached', timeout: 30_000 });
    const again = users.locator('.pg-log > .pg-log-row[data-kind="again"]');
    await again.first().waitFor({ timeout: 30_000 });
    await expect(again.first().innerText()).resolves.toMatch(/^↻ (Alice|Bob|Carol) logged in again on [A-C] after being logged out on [A-C]/);
    await expect(users.locator('.pg-log-summary').innerText()).resolves.toMatch(/^Last minute: \d+ requests, [1-9]\d* unexpected logouts?/);

    // "Problems only" hides the plain successes and keeps the logouts and re-logins.
    await users.getByRole('button', { name: 'Problems only' }).click();
    const visible = await users.locator('.pg-log > .pg-log-row:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-tone')));
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.every((tone) => tone === 'bad' || tone === 'again' || tone === 'neutral')).toBe(true);
    expect(visible).not.toContain('ok');
    await users.getByRole('button', { name: 'Problems only' }).click();
    await page.locator('.pg-users').screenshot({ path: join(shots, 'users-truth-traffic-1440.png') });

    // The checks: their users (Dave, Erin, Frank… and their own Alice) never appear among the learner's rows.
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const group = users.locator('.pg-log > .pg-log-group');
    await group.first().waitFor({ state: 'attached', timeout: 60_000 });
    await page.locator('.pg-checkspanel[data-status="running"]').waitFor({ state: 'detached', timeout: 120_000 });
    await show(page, 'Users', '.pg-userspanel');
    await expect(users.locator('.pg-log > .pg-log-row[data-kind="notice"]').last().innerText()).resolves.toMatch(/^ℹ Checks started: the lab cleared your users’ cookies/);
    const summaries = await users.locator('.pg-checkgroup-text').allInnerTexts();
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    for (const text of summaries) expect(text).toMatch(/^Check “[^”]+”: \d+ requests?(, \d+ (logged out|mix-ups?|failed))*$/);
    // One group per check of this run.
    expect(new Set(summaries.map((s) => /“([^”]+)”/.exec(s)![1])).size).toBe(summaries.length);
    const rows = await learnerRows(page);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).not.toMatch(/^(Dave|Erin|Frank)\b/);
    await expect(users.locator('.pg-log > .pg-log-row[data-check]').count()).resolves.toBe(0);
    const first = group.first();
    await first.locator('summary').click();
    await expect(first.locator('.pg-checklog-row').count()).resolves.toBeGreaterThan(0);
    await page.locator('.pg-users').screenshot({ path: join(shots, 'users-truth-checks-1440.png') });

    const axe = await new AxeBuilder({ page }).include('.pg-userspanel').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

    // A terminal is an output view: Tab and Shift+Tab leave it, Escape goes to its tab.
    await show(page, 'Terminal', '.term-root');
    const textarea = page.locator('.term-screen textarea');
    await expect(textarea.getAttribute('aria-describedby').then((id) => page.locator(`#${id}`).textContent())).resolves.toMatch(/Tab and Shift\+Tab move focus out/);
    const inTerminal = () => page.evaluate(() => Boolean(document.activeElement?.closest('.term-screen')));
    await textarea.focus();
    await expect(inTerminal()).resolves.toBe(true);
    await page.keyboard.press('Tab');
    await expect(inTerminal()).resolves.toBe(false);
    await textarea.focus();
    await page.keyboard.press('Shift+Tab');
    await expect(inTerminal()).resolves.toBe(false);
    await textarea.focus();
    await page.keyboard.press('Escape');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-selected'))).resolves.toBe('true');

    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits 560×260 with the newest rows in view, and on a phone keeps every terminal tab whole', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(`${base}/lessons/map-trap/`);
    await runCluster(page);
    await show(page, 'Users', '.pg-userspanel');
    await page.locator('.pg-userspanel').getByRole('switch', { name: /Steady traffic/ }).click();
    await page.locator('.pg-log > .pg-log-row').nth(20).waitFor({ state: 'attached', timeout: 30_000 });
    // The panel in the box the shell gives it at 1280×720.
    await page.locator('.pg-users .pg-slot').evaluate((slot: HTMLElement) => {
      slot.style.cssText = 'width: 560px; height: 260px; flex: none; overflow: hidden';
    });
    await page.waitForTimeout(300);
    const inside = await page.locator('.pg-users .pg-slot').evaluate((slot) => {
      const box = slot.getBoundingClientRect();
      const within = (selector: string) =>
        [...slot.querySelectorAll(selector)].every((e) => {
          const r = e.getBoundingClientRect();
          return r.height > 0 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
        });
      const log = slot.querySelector('.pg-log')!;
      const last = log.lastElementChild!.getBoundingClientRect();
      const view = log.getBoundingClientRect();
      return {
        rows: within('.pg-user-row'),
        switch: within('[role="switch"]'),
        log: within('.pg-log'),
        newestInView: last.bottom <= view.bottom + 1 && last.top >= view.top - 1 ? true : `${last.top}..${last.bottom} not in ${view.top}..${view.bottom} (scroll ${log.scrollTop}+${log.clientHeight}/${log.scrollHeight})`,
        logScrolls: log.scrollHeight > log.clientHeight,
      };
    });
    expect(inside).toEqual({ rows: true, switch: true, log: true, newestInView: true, logScrolls: true });
    await page.locator('.pg-users').screenshot({ path: join(shots, 'users-truth-560x260.png') });
    await context.close();

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const small = await phone.newPage();
    await small.goto(`${base}/lessons/map-trap/`);
    await small.getByRole('button', { name: 'Playground', exact: true }).click();
    await runCluster(small);
    await show(small, 'Terminal', '.term-root');
    await small.locator('.term-tab', { hasText: 'redis' }).waitFor();
    const clipped = await small.locator('.term-tabs').evaluate((list) => {
      const box = list.getBoundingClientRect();
      return [...list.querySelectorAll('.term-tab')]
        .filter((tab) => {
          const r = tab.getBoundingClientRect();
          return tab.scrollWidth > tab.clientWidth || r.left < box.left - 0.5 || r.right > box.right + 0.5;
        })
        .map((tab) => tab.textContent);
    });
    expect(clipped).toEqual([]);
    await expect(small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).resolves.toBeLessThanOrEqual(0);
    await small.locator('.term-head').screenshot({ path: join(shots, 'users-truth-390-tabs.png') });
    await phone.close();
  });
});
