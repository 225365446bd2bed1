/**
 * The lesson's moment in the cluster view, against the real site and lab host: Alice logs in on one instance of
 * the Map-trap starter, a visit lands on another, and the cards say so — the instance that served the login
 * knows her, the one that answered her as logged out does not. Then focus stays put through Kill, Start and
 * scaling down. Screenshots land in SCREENSHOT_DIR (default: a temporary folder) for a human to look at.
 */
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
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

function cluster(page: Page): Locator {
  return page.getByRole('region', { name: 'Cluster' });
}

function card(page: Page, name: string): Locator {
  return cluster(page).locator(`[data-instance="${name}"]`);
}

function knowledgeLine(page: Page, instance: string, user: string): Locator {
  return card(page, instance).locator(`.pg-know-line[data-user="${user}"]`);
}

async function waitForState(page: Page, name: string, state: string, timeout = 30_000): Promise<void> {
  await card(page, name).locator('.pg-state-word').filter({ hasText: new RegExp(`^${state}$`) }).waitFor({ timeout });
}

/** Opens the lesson with the cluster on screen, whichever layout the shell picks. */
async function openLesson(page: Page, slug: string): Promise<void> {
  await page.goto(`${base}/lessons/${slug}/`);
  await page.locator('[data-playground-ready]').waitFor({ state: 'attached', timeout: 30_000 });
  const clusterView = page.locator('.pg-views button[data-view="cluster"]');
  if (await clusterView.isVisible()) await clusterView.click();
  await cluster(page).locator('.pg-cv').waitFor();
}

/** Log rows of the users panel, as text. */
async function logRows(page: Page): Promise<string[]> {
  const rows = await page.getByRole('region', { name: 'Users' }).locator('.pg-log-row').allInnerTexts();
  return rows.map((r) => r.replace(/\s+/g, ' ').trim());
}

/** Clicks a user button and returns the result row it added to the users log. */
async function act(page: Page, label: string): Promise<string> {
  const before = (await logRows(page)).length;
  await page.getByRole('button', { name: label, exact: true }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.pg-log-row').length > n, before, { timeout: 10_000 });
  return (await logRows(page))[before]!;
}

/** What has the focus: its accessible name, or "<body>". */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!active || active === document.body) return '<body>';
    return active.getAttribute('aria-label') ?? active.textContent?.trim() ?? active.tagName;
  });
}

describe('who knows whom in the cluster view', () => {
  it('shows the Map trap at a glance and keeps the focus through Kill, Start and scaling down', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openLesson(page, 'map-trap');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    for (const name of ['A', 'B', 'C']) await waitForState(page, name, 'up', 45_000);
    // Nobody has been asked anything yet.
    for (const name of ['A', 'B', 'C']) await expect(knowledgeLine(page, name, 'alice').getAttribute('data-knowledge')).resolves.toBe('not-asked');

    const login = await act(page, 'Log in as Alice');
    const home = /^Alice login → ([A-J]) 2\d\d/.exec(login)?.[1];
    expect(home, `login row: ${login}`).toBeTruthy();
    let elsewhere: string | undefined;
    for (let i = 0; i < 8 && !elsewhere; i++) {
      const row = await act(page, 'Visit as Alice');
      elsewhere = /^Alice visit → ([A-J]) \d+ .*logged out/.exec(row)?.[1];
    }
    expect(elsewhere, 'a visit lands on an instance that never saw the login').toBeTruthy();
    expect(elsewhere).not.toBe(home);

    // The instance that served the login knows Alice; the one that answered her as logged out does not.
    const known = knowledgeLine(page, home!, 'alice');
    const unknown = knowledgeLine(page, elsewhere!, 'alice');
    await known.and(page.locator('[data-knowledge="knows"]')).waitFor({ timeout: 5000 });
    await unknown.and(page.locator('[data-knowledge="unknown"]')).waitFor({ timeout: 5000 });
    await expect(known.locator('.pg-know-word').innerText()).resolves.toBe('✓ knows');
    await expect(unknown.locator('.pg-know-word').innerText()).resolves.toBe('✕ unknown');
    await expect(known.locator('.visually-hidden').textContent()).resolves.toMatch(new RegExp(`^${home} knows Alice: it accepted Alice's login`));
    await expect(unknown.locator('.visually-hidden').textContent()).resolves.toMatch(new RegExp(`^${elsewhere} does not know Alice: it answered a visit as logged out (just now|\\d+ s ago)\\.$`));
    // Bob and Carol did nothing: no instance claims anything about them.
    for (const name of ['A', 'B', 'C']) await expect(knowledgeLine(page, name, 'bob').getAttribute('data-knowledge')).resolves.toBe('not-asked');
    // The card of the instance that answered logged out counts it.
    const logouts = card(page, elsewhere!).locator('.pg-inst-logouts');
    await expect(logouts.locator('.pg-inst-logouts-short').innerText()).resolves.toMatch(/^✕ [1-9]\d* logouts?, last 60 s$/);
    await expect(logouts.locator('.visually-hidden').textContent()).resolves.toMatch(new RegExp(`^[1-9]\\d* logouts? in the last minute: ${elsewhere} answered`));
    await expect(card(page, home!).locator('.pg-inst-logouts').isHidden()).resolves.toBe(true);
    await cluster(page).locator('.pg-cv').screenshot({ path: join(shots, 'cluster-knowledge-1440.png') });
    const axe = await new AxeBuilder({ page }).include('.pg-cv').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    // No scrolling sideways inside the panel.
    await expect(cluster(page).locator('.pg-cv').evaluate((cv) => cv.scrollWidth - cv.clientWidth)).resolves.toBeLessThanOrEqual(0);

    // Kill from the keyboard's point of view: the focused button keeps the focus while the card updates.
    const kill = card(page, home!).getByRole('button', { name: `Kill instance ${home}`, exact: true });
    await kill.click();
    await waitForState(page, home!, 'stopped');
    await expect(focused(page)).resolves.toBe(`Kill instance ${home}`);
    // Its process is gone, and with it what it knew.
    await expect(known.getAttribute('data-knowledge')).resolves.toBe('not-asked');
    await expect(known.locator('.visually-hidden').textContent()).resolves.toBe(`${home} has not answered for Alice since its process stopped.`);

    const start = card(page, home!).getByRole('button', { name: `Start instance ${home}`, exact: true });
    await start.click();
    await waitForState(page, home!, 'up');
    await expect(focused(page)).resolves.toBe(`Start instance ${home}`);

    // Scale up, put the focus on the new instance's Stop button, scale down: the focus moves to the neighbour's.
    await cluster(page).getByRole('button', { name: 'Add instance', exact: true }).click();
    await waitForState(page, 'D', 'up');
    await expect(focused(page)).resolves.toBe('Add instance');
    await card(page, 'D').getByRole('button', { name: 'Stop instance D', exact: true }).focus();
    // A click that does not move the focus, as a screen reader's or a script's would.
    await cluster(page).getByRole('button', { name: 'Remove instance', exact: true }).dispatchEvent('click');
    await card(page, 'D').waitFor({ state: 'detached', timeout: 30_000 });
    await expect(focused(page)).resolves.toBe('Stop instance C');

    expect(errors).toEqual([]);
    await context.close();
  });
});
