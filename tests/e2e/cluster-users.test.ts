/**
 * The cluster view and users panel against the real site and lab host: run the Map-trap lab, log Alice in, watch
 * her get logged out on another instance, stop an instance from the cluster view and see traffic avoid it.
 * Screenshots land in SCREENSHOT_DIR (default: a temporary folder) for a human to look at.
 */
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
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

async function openLesson(
  slug: string,
  options: { width: number; height: number; colorScheme?: 'light' | 'dark'; reducedMotion?: 'reduce' | 'no-preference' },
): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width, height: options.height },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: options.reducedMotion ?? 'no-preference',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/lessons/${slug}/`);
  if (options.width < 700) await page.getByRole('button', { name: 'Playground', exact: true }).click();
  await page.locator('.pg-root[data-playground-ready]').waitFor({ timeout: 60_000 });
  // Beside the lesson text (or on a phone) the playground shows one view at a time: this file is about the cluster.
  const clusterView = page.locator('.pg-top .pg-views button[data-view="cluster"]');
  if (await clusterView.isVisible()) await clusterView.click();
  return { page, context, errors };
}

function instance(page: Page, name: string): Locator {
  return page.getByRole('region', { name: 'Cluster' }).locator(`[data-instance="${name}"]`);
}

async function waitForState(page: Page, name: string, state: string, timeout = 30_000): Promise<void> {
  await instance(page, name).locator('.pg-state-word').filter({ hasText: new RegExp(`^${state}$`) }).waitFor({ timeout });
}

async function runCluster(page: Page): Promise<void> {
  const cluster = page.getByRole('region', { name: 'Cluster' });
  await cluster.locator('.pg-cv').waitFor();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  for (const name of ['A', 'B', 'C']) await waitForState(page, name, 'up', 45_000);
}

/** Log rows added after `from`, as text. */
async function logRows(page: Page, from = 0): Promise<string[]> {
  const rows = await page.getByRole('region', { name: 'Users' }).locator('.pg-log-row').allInnerTexts();
  return rows.slice(from).map((r) => r.replace(/\s+/g, ' ').trim());
}

/** Clicks a user button and waits for its result row in the log. */
async function act(page: Page, label: string): Promise<string> {
  const before = (await logRows(page)).length;
  await page.getByRole('button', { name: label, exact: true }).click();
  await page.waitForFunction(
    (n) => document.querySelectorAll('.pg-log-row').length > n,
    before,
    { timeout: 10_000 },
  );
  return (await logRows(page, before))[0]!;
}

describe('cluster view and users panel', () => {
  it('shows the Map trap: Alice logged out on another instance; a stopped instance gets no traffic', async () => {
    const { page, context, errors } = await openLesson('map-trap', { width: 1280, height: 800 });
    await runCluster(page);
    const cluster = page.getByRole('region', { name: 'Cluster' });
    const users = page.getByRole('region', { name: 'Users' });

    // Controls carry the user / instance in their accessible names.
    for (const user of ['Alice', 'Bob', 'Carol']) {
      for (const action of ['Log in', 'Visit', 'Log out']) await users.getByRole('button', { name: `${action} as ${user}`, exact: true }).waitFor();
    }
    await cluster.getByRole('button', { name: 'Stop instance A', exact: true }).waitFor();
    await expect(cluster.getByRole('button', { name: 'Start instance A', exact: true }).isDisabled()).resolves.toBe(true);

    const login = await act(page, 'Log in as Alice');
    const home = /→ ([A-J]) 2\d\d/.exec(login)?.[1];
    expect(home, `login row: ${login}`).toBeTruthy();
    const label = users.locator('[data-user="alice"] .pg-user-state');
    await expect(label.innerText()).resolves.toBe(`logged in on ${home}`);

    let loggedOutRow: string | undefined;
    for (let i = 0; i < 8 && !loggedOutRow; i++) {
      const row = await act(page, 'Visit as Alice');
      if (/logged out/.test(row)) loggedOutRow = row;
    }
    expect(loggedOutRow, 'a visit on another instance logs Alice out').toBeTruthy();
    expect(loggedOutRow).toMatch(new RegExp(`^Alice visit → (?!${home})[A-J] 401 .*logged out`));
    await expect(label.innerText()).resolves.toMatch(/^logged out/);
    await expect(users.locator('.pg-log-row[data-tone="bad"]').count()).resolves.toBeGreaterThan(0);

    await page.screenshot({ path: join(shots, 'map-trap-1280.png'), fullPage: false });

    // Stop B from the cluster view: its state reads "stopped" and the balancer stops sending it requests.
    await cluster.getByRole('button', { name: 'Stop instance B', exact: true }).click();
    await waitForState(page, 'B', 'stopped');
    // Start becomes available once the Stop command has finished (its reply may come just after the state).
    await expect.poll(() => instance(page, 'B').getByRole('button', { name: 'Start instance B', exact: true }).isEnabled(), { timeout: 10_000 }).toBe(true);
    const from = (await logRows(page)).length;
    for (let i = 0; i < 6; i++) await act(page, i % 2 ? 'Visit as Bob' : 'Visit as Alice');
    const after = await logRows(page, from);
    expect(after).toHaveLength(6);
    for (const row of after) expect(row).not.toMatch(/→ B /);
    expect(after.some((r) => /→ A /.test(r)) && after.some((r) => /→ C /.test(r))).toBe(true);

    // The chart counts requests per instance (with a text alternative); the Redis box says where Redis runs.
    await page.waitForFunction(() => /last 10 s: A [1-9]/.test(document.querySelector('.pg-chart .visually-hidden')?.textContent ?? ''), null, { timeout: 5000 });
    await expect(cluster.locator('.pg-chart-row').count()).resolves.toBeGreaterThanOrEqual(3);
    const redis = cluster.getByRole('region', { name: 'Redis' });
    await expect(redis.locator('.pg-redis-title').innerText()).resolves.toMatch(/^Redis \((redis-server, on the lab host|JavaScript server in the sandbox|external)/);
    await redis.locator('.pg-redis-stats').filter({ hasText: /\d+ keys? · \d+ commands? in total/ }).waitFor({ timeout: 5000 });
    await expect(instance(page, 'A').locator('.pg-inst-served').innerText()).resolves.toMatch(/^[1-9]\d* served$/);

    // Scale: add an instance, it appears as D.
    await cluster.getByRole('button', { name: 'Add instance', exact: true }).click();
    await waitForState(page, 'D', 'up', 30_000);

    const axe = await new AxeBuilder({ page }).include('.pg-cv').include('.pg-userspanel').include('.pg-checkspanel').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

    await cluster.screenshot({ path: join(shots, 'map-trap-1280-cluster.png') });
    await users.screenshot({ path: join(shots, 'map-trap-1280-users.png') });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works on a phone in the dark theme with reduced motion', async () => {
    const { page, context, errors } = await openLesson('map-trap', { width: 390, height: 844, colorScheme: 'dark', reducedMotion: 'reduce' });
    await runCluster(page);
    await act(page, 'Log in as Carol');
    for (let i = 0; i < 3; i++) await act(page, 'Visit as Carol');
    // No travelling dots with reduced motion.
    await expect(page.locator('.pg-dot').count()).resolves.toBe(0);
    const traffic = page.getByRole('switch', { name: /Steady traffic/ });
    await traffic.click();
    await page.waitForFunction(() => document.querySelector('[role="switch"]')?.getAttribute('aria-checked') === 'true');
    await page.waitForTimeout(2500);
    await traffic.click();
    await page.getByRole('region', { name: 'Cluster' }).screenshot({ path: join(shots, 'map-trap-390-cluster.png') });
    await page.getByRole('region', { name: 'Users' }).screenshot({ path: join(shots, 'map-trap-390-users.png') });
    await page.screenshot({ path: join(shots, 'map-trap-390.png') });
    // Nothing overflows the phone's width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('switches the balancing strategy where the lesson offers it, and shows command errors next to the control', async () => {
    const { page, context, errors } = await openLesson('any-server', { width: 1280, height: 900 });
    const cluster = page.getByRole('region', { name: 'Cluster' });
    await cluster.locator('.pg-cv').waitFor();
    // Before the lab runs, a command fails with a readable message shown next to its control.
    await cluster.getByRole('button', { name: 'Rolling deploy', exact: true }).isDisabled();
    const strategy = cluster.getByRole('combobox', { name: 'Balancing' });
    await strategy.selectOption('least-connections');
    await cluster.getByRole('alert').filter({ hasText: /Strategy: .+/ }).waitFor();
    await expect(strategy.inputValue()).resolves.toBe('round-robin');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await cluster.locator('[data-instance="C"]').waitFor({ timeout: 45_000 });
    await expect(strategy.locator('option').allInnerTexts()).resolves.toEqual(['Round-robin (in turn)', 'Least connections']);
    await strategy.selectOption('least-connections');
    await cluster.locator('.pg-cv-strategy', { hasText: 'Least connections' }).waitFor();
    await expect(cluster.getByRole('alert').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
