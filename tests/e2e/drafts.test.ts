/**
 * A learner's work is never lost (issue #7), against the real site and lab host: drafts survive a reload, the
 * solution opens as a diff and changes nothing until Apply (which undoes), Reset asks first and undoes, passing the
 * checks marks the course map, a zip export imports back, bad zips are refused, and blocked storage is announced
 * while the page keeps working. Screenshots of the diff and the shortcuts land in SCREENSHOT_DIR.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, projectRoot } from './helpers.ts';

const base = inject('siteUrl');
const shots = process.env.SCREENSHOT_DIR ?? join(tmpdir(), 'stateless-lab-screens');
mkdirSync(shots, { recursive: true });
const solution = readFileSync(join(projectRoot, 'src/lessons/02-map-trap/solution/server.js'), 'utf8');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const editorRegion = (page: Page) => page.getByRole('region', { name: 'Editor' });
const lines = (page: Page) => editorRegion(page).locator('.monaco-editor .view-lines');
const normal = (text: string) => text.replace(/\u00a0/g, ' ');
const shown = async (page: Page) => normal(await lines(page).innerText());
const notice = (page: Page) => page.locator('.pg-notice');
const draftStatus = (page: Page) => editorRegion(page).locator('.pg-draft');

async function newContext(options: { width?: number; height?: number; blockStorage?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, acceptDownloads: true });
  if (options.blockStorage) {
    // A private mode that refuses IndexedDB outright.
    await context.addInitScript(() => {
      IDBFactory.prototype.open = function () {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      };
    });
  }
  return context;
}

async function openLesson(context: BrowserContext, page?: Page): Promise<{ page: Page; errors: string[] }> {
  page ??= await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/lessons/map-trap/?runtime=server`);
  await ready(page);
  return { page, errors };
}

async function ready(page: Page): Promise<void> {
  if ((page.viewportSize()?.width ?? 1280) < 700) await page.getByRole('button', { name: 'Playground', exact: true }).click();
  await page.locator('.pg-root[data-playground-ready]').waitFor({ timeout: 30_000 });
  await lines(page).waitFor({ timeout: 30_000 });
}

/** Types a line at the top of the open file (server.js). */
async function typeAtTop(page: Page, text: string): Promise<void> {
  await lines(page).click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type(`${text}\n`);
}

async function waitForDraftSaved(page: Page): Promise<void> {
  await draftStatus(page).filter({ hasText: 'Draft saved' }).waitFor({ timeout: 5_000 });
}

describe('drafts, solution, reset, progress, export and import', () => {
  it('restores an edit after a reload, and after visiting another lesson', async () => {
    const context = await newContext();
    const { page, errors } = await openLesson(context);
    await typeAtTop(page, '// kept across reloads');
    await waitForDraftSaved(page);
    await page.reload();
    await ready(page);
    await expect.poll(() => shown(page)).toContain('// kept across reloads');
    await expect(notice(page).innerText()).resolves.toMatch(/draft .* is back/);
    // Another lesson has its own (empty) draft; coming back brings this one.
    await page.goto(`${base}/lessons/sticky-sessions/?runtime=server`);
    await ready(page);
    await expect.poll(() => shown(page)).not.toContain('// kept across reloads');
    await page.goBack();
    await ready(page);
    await expect.poll(() => shown(page)).toContain('// kept across reloads');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the solution as a diff, changes nothing until Apply, and Undo brings the code back', async () => {
    const context = await newContext();
    const { page, errors } = await openLesson(context);
    await typeAtTop(page, '// my own attempt');
    await page.getByRole('button', { name: 'Show solution' }).click();
    const dialog = page.getByRole('dialog', { name: 'Solution' });
    await dialog.locator('.monaco-diff-editor .view-lines').first().waitFor();
    await expect(dialog.getByRole('tab', { name: /server\.js/ }).innerText()).resolves.toMatch(/differs/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'drafts-diff-desktop.png') });
    // Still the learner's code underneath.
    await expect.poll(() => shown(page)).toContain('// my own attempt');
    await dialog.getByRole('button', { name: 'Apply server.js' }).click();
    await expect(dialog.getByRole('status').innerText()).resolves.toMatch(/matches the solution/);
    await expect(dialog.getByRole('button', { name: 'Apply server.js' }).isDisabled()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => shown(page)).not.toContain('// my own attempt');
    await notice(page).getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => shown(page)).toContain('// my own attempt');
    // The undo is the draft too.
    await waitForDraftSaved(page);
    await page.reload();
    await ready(page);
    await expect.poll(() => shown(page)).toContain('// my own attempt');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('asks before Reset discards work, and Undo restores the code and the draft', async () => {
    const context = await newContext();
    const { page, errors } = await openLesson(context);
    await typeAtTop(page, '// work worth keeping');
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Reset to the starter?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => shown(page)).toContain('// work worth keeping');
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await confirm.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => shown(page)).not.toContain('// work worth keeping');
    await notice(page).getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => shown(page)).toContain('// work worth keeping');
    await waitForDraftSaved(page);
    await page.reload();
    await ready(page);
    await expect.poll(() => shown(page)).toContain('// work worth keeping');
    // With nothing to lose, Reset needs no question.
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.getByRole('dialog', { name: 'Reset to the starter?' }).getByRole('button', { name: 'Reset' }).click();
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect(notice(page).innerText()).resolves.toMatch(/already match the starter/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('marks the lesson complete on the course map once its checks pass', { timeout: 180_000 }, async () => {
    const context = await newContext();
    const { page } = await openLesson(context);
    await page.getByRole('button', { name: 'Show solution' }).click();
    const dialog = page.getByRole('dialog', { name: 'Solution' });
    await dialog.getByRole('button', { name: 'Apply server.js' }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const code = await shown(page);
    expect(code).toContain(solution.split('\n').find((l) => l.trim().length > 10)!.trim());
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByRole('region', { name: 'Checks' }).getByText(/checks? passed/).waitFor({ timeout: 150_000 });
    await notice(page).filter({ hasText: /marked complete/ }).waitFor();
    await page.goto(`${base}/`);
    const mark = page.locator('[data-progress-for="map-trap"]');
    await expect.poll(() => mark.innerText()).toMatch(/Passed/);
    await expect(mark.locator('time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // The lesson before it shows the pass in its pager.
    await page.goto(`${base}/lessons/any-server/`);
    await expect(page.locator('.pager [data-progress-for="map-trap"]').innerText()).resolves.toMatch(/Passed/);
    // Clear progress asks first.
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Clear progress' }).click();
    const confirm = page.getByRole('dialog', { name: 'Clear your progress?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => mark.innerText()).toMatch(/Passed/);
    await page.getByRole('button', { name: 'Clear progress' }).click();
    await confirm.getByRole('button', { name: 'Clear progress' }).click();
    await expect.poll(() => mark.innerText()).toMatch(/Not started/);
    await page.reload();
    await expect.poll(() => mark.innerText()).toMatch(/Not started/);
    await context.close();
  });

  it('exports the files as a zip and imports them back; refuses bad zips and leaves the work alone', async () => {
    const context = await newContext();
    const { page, errors } = await openLesson(context);
    await typeAtTop(page, '// exported edit');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export zip' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^stateless-lab-map-trap-.*\.zip$/);
    const bytes = readFileSync((await download.path())!);
    const entries = unzipSync(new Uint8Array(bytes));
    expect(Object.keys(entries).sort()).toEqual(['package.json', 'server.js', 'stateless-lab.json']);
    expect(strFromU8(entries['server.js']!)).toContain('// exported edit');

    // Back to the starter, then import the export.
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.getByRole('dialog', { name: 'Reset to the starter?' }).getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => shown(page)).not.toContain('// exported edit');
    const input = editorRegion(page).locator('input[type="file"]');
    await input.setInputFiles({ name: 'mine.zip', mimeType: 'application/zip', buffer: bytes });
    await notice(page).filter({ hasText: /Imported server\.js from mine\.zip/ }).waitFor();
    await expect.poll(() => shown(page)).toContain('// exported edit');

    // Not a zip at all.
    const before = await shown(page);
    await input.setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('this is not a zip file') });
    await notice(page).filter({ hasText: /Import refused: This is not a readable zip/ }).waitFor();
    await expect.poll(() => shown(page)).toBe(before);
    // A truncated copy of a real one.
    await input.setInputFiles({ name: 'cut.zip', mimeType: 'application/zip', buffer: bytes.subarray(0, bytes.length - 30) });
    await notice(page).filter({ hasText: /Import refused/ }).waitFor();
    // Another lesson's zip.
    const foreign = zipSync({ 'server.js': strToU8('// other'), 'stateless-lab.json': strToU8('{"lesson":"counters"}') });
    await input.setInputFiles({ name: 'counters.zip', mimeType: 'application/zip', buffer: Buffer.from(foreign) });
    await notice(page).filter({ hasText: /another lesson \("counters"\)/ }).waitFor();
    // A path that climbs out.
    const sneaky = zipSync({ 'server.js': strToU8('// x'), '../../etc/passwd': strToU8('x') });
    await input.setInputFiles({ name: 'sneaky.zip', mimeType: 'application/zip', buffer: Buffer.from(sneaky) });
    await notice(page).filter({ hasText: /"\.\." segment/ }).waitFor();
    await expect.poll(() => shown(page)).toBe(before);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says the work will not be kept when storage is blocked, and keeps working', async () => {
    const context = await newContext({ blockStorage: true });
    const { page, errors } = await openLesson(context);
    await draftStatus(page).filter({ hasText: 'Not kept: storage unavailable' }).waitFor();
    await expect(notice(page).innerText()).resolves.toMatch(/will not be kept/);
    await typeAtTop(page, '// typed without storage');
    await expect.poll(() => shown(page)).toContain('// typed without storage');
    await expect(draftStatus(page).innerText()).resolves.toBe('Not kept: storage unavailable');
    // The rest still works: the solution diff opens, and export still offers a way to keep the work.
    await page.getByRole('button', { name: 'Show solution' }).click();
    await page.getByRole('dialog', { name: 'Solution' }).getByRole('button', { name: 'Close' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export zip' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lists the keyboard shortcuts from a button and from "?"', async () => {
    const context = await newContext();
    const { page } = await openLesson(context);
    await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    await expect(dialog.innerText()).resolves.toMatch(/Run \(or restart\) the cluster/);
    await page.screenshot({ path: join(shots, 'drafts-shortcuts-desktop.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // "?" from the page opens it; in the editor it is just a character.
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('Shift+Slash');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await typeAtTop(page, '// why?');
    await expect(dialog.count()).resolves.toBe(0);
    await context.close();
  });

  it('fits the diff and the shortcuts on a phone', async () => {
    const context = await newContext({ width: 390, height: 844 });
    const page = await context.newPage();
    await page.goto(`${base}/lessons/map-trap/?runtime=server`);
    await ready(page);
    await page.getByRole('button', { name: 'Show solution' }).click();
    const dialog = page.getByRole('dialog', { name: 'Solution' });
    await dialog.locator('.monaco-diff-editor .view-lines').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'drafts-diff-phone.png') });
    const box = (await dialog.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(390);
    await expect(dialog.getByText('Red lines: your code').isVisible()).resolves.toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();
    // A phone's toolbar leaves the shortcuts button out (it is for keyboards); "?" still opens the list.
    await expect(page.getByRole('button', { name: 'Keyboard shortcuts' }).isVisible()).resolves.toBe(false);
    await page.keyboard.press('Shift+Slash');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.screenshot({ path: join(shots, 'drafts-shortcuts-phone.png') });
    await context.close();
  });
});
