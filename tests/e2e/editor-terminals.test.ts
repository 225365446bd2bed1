/**
 * The Editor and Terminal panels against the real site and lab host, on the Map-trap lesson: starter code in
 * monaco, unsaved marker and Ctrl+S, read-only files, IntelliSense for the lab's libraries, process tabs with
 * live output after Run, and a crash that shows its reason. Also: nothing of the editor is loaded before the
 * playground is shown. Screenshots land in SCREENSHOT_DIR (default: a temporary folder) for a human to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, projectRoot } from './helpers.ts';

const base = inject('siteUrl');
const shots = process.env.SCREENSHOT_DIR ?? join(tmpdir(), 'stateless-lab-screens');
mkdirSync(shots, { recursive: true });

const lessonDir = join(projectRoot, 'src', 'lessons', '02-map-trap');
const starter = readFileSync(join(lessonDir, 'starter', 'server.js'), 'utf8');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function openLesson(options: { width: number; height: number; colorScheme?: 'light' | 'dark' }): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: options.width, height: options.height }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The lab host runs the cluster (no WebContainer offline).
  await page.goto(`${base}/lessons/map-trap/?runtime=server`);
  if (options.width < 700) await page.getByRole('button', { name: 'Playground', exact: true }).click();
  await editorRegion(page).locator('.monaco-editor .view-lines').waitFor({ timeout: 30_000 });
  return { page, context, errors };
}

/** The playground shows one of Users / Checks / Terminal at a time (and only one view at all when narrow). */
async function showTerminal(page: Page): Promise<void> {
  await page.locator('.pg-views button[data-view="terminal"]:visible').click();
}

const editorRegion = (page: Page) => page.getByRole('region', { name: 'Editor' });
const terminalRegion = (page: Page) => page.getByRole('region', { name: 'Terminal' });
const fileTab = (page: Page, name: RegExp) => editorRegion(page).getByRole('tab', { name });
const processTab = (page: Page, name: RegExp) => terminalRegion(page).getByRole('tab', { name });

/** Puts the caret at the end of the open file and types there (monaco has the focus afterwards). */
async function typeAtEnd(page: Page, text: string): Promise<void> {
  await editorRegion(page).locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

/** The text the terminal shows (xterm renders only while on screen). */
async function terminalText(page: Page): Promise<string> {
  await terminalRegion(page).locator('.xterm-rows').scrollIntoViewIfNeeded();
  await page.waitForTimeout(100);
  return terminalRegion(page).locator('.xterm-rows').innerText();
}

async function waitForTerminalText(page: Page, pattern: RegExp, timeout = 30_000): Promise<string> {
  const until = Date.now() + timeout;
  let text = '';
  while (Date.now() < until) {
    text = await terminalText(page);
    // Long lines wrap at the terminal's width: match them whole too.
    if (pattern.test(text) || pattern.test(text.replace(/\n/g, ''))) return text;
    await page.waitForTimeout(250);
  }
  throw new Error(`terminal never showed ${pattern}; it shows:\n${text}`);
}

describe('lesson page weight', () => {
  it('loads nothing of monaco or xterm, and links none of their CSS, until the playground is shown', async () => {
    const html = await (await fetch(`${base}/lessons/map-trap/`)).text();
    const stylesheets = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    expect(stylesheets.filter((href) => /editor|monaco|xterm|codicon|terminals/i.test(href!))).toEqual([]);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${base}/lessons/map-trap/`, { waitUntil: 'networkidle' });
    expect(urls.filter((u) => /editor|monaco|xterm|worker|codicon/i.test(u))).toEqual([]);
    await page.getByRole('button', { name: 'Playground', exact: true }).click();
    await editorRegion(page).locator('.monaco-editor .view-lines').waitFor({ timeout: 30_000 });
    expect(urls.some((u) => /editor-types\.[\w-]+\.json$/.test(u)), 'the library types are fetched with the editor').toBe(true);
    await context.close();
  });
});

describe('editor', () => {
  it('opens server.js with the starter code; typing marks it unsaved and Ctrl+S saves it', async () => {
    const { page, context, errors } = await openLesson({ width: 1280, height: 800 });
    const server = fileTab(page, /^server\.js/);
    await expect(server.getAttribute('aria-selected')).resolves.toBe('true');
    const shown = await editorRegion(page).locator('.monaco-editor .view-lines').innerText();
    const normal = (s: string) => s.replace(/\s+/g, ' ').trim();
    for (const line of starter.split('\n').slice(0, 6).filter(Boolean)) expect(normal(shown)).toContain(normal(line));
    await expect(editorRegion(page).locator('.ed-status').innerText()).resolves.toBe('All changes saved');

    await typeAtEnd(page, '\n// a learner edit\n');
    await expect(server.getAttribute('aria-selected')).resolves.toBe('true');
    await expect(fileTab(page, /^server\.js unsaved$/).count()).resolves.toBe(1);
    await expect(editorRegion(page).locator('.ed-status').innerText()).resolves.toMatch(/^Unsaved: server\.js/);
    await expect(normal(await editorRegion(page).locator('.monaco-editor .view-lines').innerText())).toContain('// a learner edit');
    await page.screenshot({ path: join(shots, 'editor-unsaved-1280.png') });

    await page.keyboard.press('Control+S');
    await expect(fileTab(page, /^server\.js$/).count()).resolves.toBe(1);
    await expect(editorRegion(page).locator('.ed-unsaved:not([hidden])').count()).resolves.toBe(0);
    await expect(editorRegion(page).locator('.ed-status').innerText()).resolves.toBe('Saved server.js');
    // The shell got the save (before Run it keeps it in the editor).
    await page.locator('.pg-notice').filter({ hasText: /Saved/ }).waitFor({ timeout: 10_000 });

    // Arrow keys move between file tabs.
    await server.focus();
    await page.keyboard.press('ArrowRight');
    await expect(fileTab(page, /^package\.json/).getAttribute('aria-selected')).resolves.toBe('true');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toMatch(/^package\.json/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows package.json as read-only and does not let it change', async () => {
    const { page, context } = await openLesson({ width: 1280, height: 800 });
    const tab = fileTab(page, /^package\.json/);
    await expect(tab.innerText()).resolves.toMatch(/read-only/);
    await tab.click();
    const before = await editorRegion(page).locator('.monaco-editor .view-lines').innerText();
    await typeAtEnd(page, 'x');
    await expect(editorRegion(page).locator('.monaco-editor .view-lines').innerText()).resolves.toBe(before);
    await expect(tab.innerText()).resolves.not.toMatch(/unsaved/);
    await expect(editorRegion(page).locator('.ed-status').innerText()).resolves.toMatch(/read-only/);
    await context.close();
  });

  it('completes and explains the lab libraries: express() members, new Redis( parameters', async () => {
    const { page, context, errors } = await openLesson({ width: 1280, height: 800 });
    await typeAtEnd(page, '\nexpress().lis');
    await page.keyboard.press('Control+Space');
    const rows = page.locator('.suggest-widget .monaco-list-row');
    await rows.filter({ hasText: /^listen/ }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'editor-suggest-1280.png') });
    await page.keyboard.press('Escape');

    await page.keyboard.press('Control+End');
    await page.keyboard.type("\nimport Redis from 'ioredis';\nconst redis = new Redis(");
    const hints = page.locator('.parameter-hints-widget');
    // ioredis declares several constructor overloads: "1/8" and a signature mean its types were found.
    await hints.filter({ hasText: /Redis\(.*\)/ }).filter({ hasText: /\d+\/\d+/ }).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');

    // Hover over a Node built-in from the trimmed @types/node set.
    await page.keyboard.press('Control+Home');
    const crypto = editorRegion(page).locator('.view-lines span').getByText('randomUUID', { exact: true }).first();
    await crypto.hover();
    await page.locator('.monaco-hover').filter({ hasText: /randomUUID\(/ }).first().waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('terminals', () => {
  it('has a tab per process with live output after Run, and shows why an instance crashed', async () => {
    const { page, context, errors } = await openLesson({ width: 1280, height: 800 });
    await showTerminal(page);
    const tabs = terminalRegion(page).getByRole('tablist', { name: 'Process output' });
    await expect(tabs.getByRole('tab').allInnerTexts()).resolves.toEqual(['All', 'balancer', 'redis']);

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await processTab(page, /^Instance C/).waitFor({ timeout: 30_000 });
    await waitForTerminalText(page, /C\s+│ \[lab\] up/);
    const names = (await tabs.getByRole('tab').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(names.slice(0, 5)).toEqual(['All', 'balancer', 'Instance A', 'Instance B', 'Instance C'].map((n) => expect.stringContaining(n)));
    expect(names.at(-1)).toMatch(/^redis/);

    await processTab(page, /^Instance A/).click();
    await expect(processTab(page, /^Instance A/).getAttribute('aria-selected')).resolves.toBe('true');
    const a = await waitForTerminalText(page, /instance A listening on \d+/);
    expect(a).toMatch(/\[lab\] up/);
    expect(a).not.toMatch(/instance B listening/);
    // Arrow keys move between process tabs.
    await processTab(page, /^Instance A/).focus();
    await page.keyboard.press('ArrowRight');
    await expect(processTab(page, /^Instance B/).getAttribute('aria-selected')).resolves.toBe('true');
    await waitForTerminalText(page, /instance B listening on \d+/);
    await terminalRegion(page).screenshot({ path: join(shots, 'terminal-running-1280.png') });

    // Break the code, save and restart: every instance crashes, and says why without scrolling.
    await editorRegion(page).locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.type("throw new Error('boom at startup');\n");
    await page.keyboard.press('Control+S');
    // Saving while running rolls the change out; the broken release is refused and the old code keeps serving.
    await page.locator('.pg-notice').filter({ hasText: /did not come up/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: /^(Run|Restart)$/ }).click();
    await processTab(page, /^Instance B crashed/).waitFor({ timeout: 30_000 });
    const banner = terminalRegion(page).locator('.term-banner');
    // The learner's own file and line come first, then the error.
    await banner.filter({ hasText: /Instance B crashed: server\.js:1:\d+: Error: boom at startup/ }).waitFor({ timeout: 10_000 });
    await expect(banner.isVisible()).resolves.toBe(true);
    await waitForTerminalText(page, /\[lab\] crashed — .*boom at startup/);
    // Another crashed instance is one click away from the banner.
    await banner.getByRole('button', { name: 'Show the output of Instance A' }).click();
    await expect(processTab(page, /^Instance A crashed/).getAttribute('aria-selected')).resolves.toBe('true');
    await terminalRegion(page).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'terminal-crashed-1280.png') });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a phone screen', async () => {
    const { page, context, errors } = await openLesson({ width: 390, height: 844, colorScheme: 'dark' });
    await page.screenshot({ path: join(shots, 'editor-390.png') });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await showTerminal(page);
    await processTab(page, /^Instance A/).waitFor({ timeout: 30_000 });
    await processTab(page, /^Instance A/).click();
    await waitForTerminalText(page, /instance A listening on \d+/);
    const box = await terminalRegion(page).locator('.term-root').boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'terminal-390.png') });
    expect(errors).toEqual([]);
    await context.close();
  });
});
