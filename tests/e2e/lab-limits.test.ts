/**
 * Limits as a learner meets them, in Chromium against a real lab host: a process stopped for spinning is named in
 * the playground's notice, and a lab ended for a limit says which and waits for Run (no rebuild behind their back).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnStart, type StartedServer } from '../../scripts/lib/spawn-start.ts';
import { launchChromium, projectRoot } from './helpers.ts';

const solution = await fs.readFile(path.join(projectRoot, 'src/lessons/01-any-server/solution/server.js'), 'utf8');
let browser: Browser;
let host: StartedServer;
beforeAll(async () => {
  browser = await launchChromium();
  host = await spawnStart({ env: { ...process.env, LAB_CPU_SECONDS: '2', LAB_MAX_FILES: '40' } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

async function replaceCode(page: Page, code: string): Promise<void> {
  const editor = page.getByRole('region', { name: 'Editor' });
  await editor.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

describe('limits in the playground', () => {
  it('names the limit a learner hit, and does not quietly restart a lab the host ended', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${host.url}/lessons/any-server/?runtime=server`);
    const status = page.locator('.pg-status-line');
    const notice = page.locator('.pg-notice');
    const labSockets: string[] = [];
    page.on('websocket', (ws) => {
      if (ws.url().endsWith('/lab')) labSockets.push(ws.url());
    });

    await replaceCode(page, `${solution}\nif (process.env.INSTANCE_ID === 'A') setTimeout(() => { for (;;) {} }, 1500);\n`);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => notice.textContent(), { timeout: 30_000 }).toMatch(/instance A .*kept a CPU core busy for 2 seconds/);
    await expect.poll(() => notice.getAttribute('data-tone')).toBe('error');

    // Into the lab's app folder, which the host counts: each instance's own disk (its working directory) is a copy
    // that goes when the process does.
    await replaceCode(page, `${solution}\nimport fs from 'node:fs';\nconst appFolder = new URL('../../', import.meta.url);\nsetTimeout(() => { for (let i = 0; i < 100; i++) fs.writeFileSync(new URL('junk-' + process.env.INSTANCE_ID + i, appFolder), 'x'); }, 1000);\n`);
    await page.getByRole('button', { name: /^(Run|Restart)$/ }).click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/more than 40 files/);
    const sockets = labSockets.length;
    await page.waitForTimeout(1500);
    expect(labSockets.length).toBe(sockets);
    await expect(status.textContent()).resolves.toMatch(/Run/);
    await page.close();
  });
});
