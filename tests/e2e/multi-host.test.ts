/**
 * Several lab hosts behind one balancer, as docs/multi-host.md describes: two `npm start` servers behind Debian's
 * nginx (configured by the same template the docs quote). A learner edits the code, starts and reshapes the
 * cluster; the host running the lab is killed with SIGKILL; the page rebuilds the lab on the other host from the
 * editor's files and starts the cluster again in the same shape. Then both hosts are gone: the page gives up with
 * a Reconnect button, and once a host is back, Reconnect (from the keyboard) brings the lab back.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Locator, Page, WebSocket as PageSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyFreePort } from '../../playground/lab/ports.js';
import { runNginx, type RunningNginx } from '../../scripts/lib/run-nginx.ts';
import { spawnStart, type StartedServer } from '../../scripts/lib/spawn-start.ts';
import { launchChromium, projectRoot } from './helpers.ts';

const MARK = `edited-${process.pid}`;
// Lesson 1's solution, with a message of our own: the starter would crash two instances of three (a fixed port),
// so "4 of 4 up" and this message in a response can only come from the edited code.
const edited = (await fs.readFile(path.join(projectRoot, 'src/lessons/01-any-server/solution/server.js'), 'utf8')).replace(
  "message: 'Hello!'",
  `message: '${MARK}'`,
);
// Start hosts as a developer would: without Vitest's NODE_ENV=test and VITEST* variables.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST')));

let nginx: RunningNginx | undefined;
let nginxUrl: string;
const hosts: { port: number; server: StartedServer }[] = [];
let browser: Browser;

async function waitFor<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const port = await anyFreePort();
    hosts.push({ port, server: await spawnStart({ env, port }) });
  }
  nginx = await runNginx(hosts.map((h) => h.port));
  nginxUrl = nginx.url;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await Promise.all(hosts.map((h) => h.server.stop()));
});

/** Every lab WebSocket the page opens, with the host messages it received and the client messages it sent. */
interface LabSocket {
  received: Record<string, unknown>[];
  sent: Record<string, unknown>[];
  closed: boolean;
}

function watchLabSockets(page: Page): LabSocket[] {
  const sockets: LabSocket[] = [];
  page.on('websocket', (ws: PageSocket) => {
    if (!ws.url().endsWith('/lab')) return;
    const socket: LabSocket = { received: [], sent: [], closed: false };
    sockets.push(socket);
    const parse = (payload: string | Buffer) => JSON.parse(String(payload)) as Record<string, unknown>;
    ws.on('framereceived', ({ payload }) => socket.received.push(parse(payload)));
    ws.on('framesent', ({ payload }) => socket.sent.push(parse(payload)));
    ws.on('close', () => {
      socket.closed = true;
    });
  });
  return sockets;
}

/** The host named in a socket's `opened` message (hostname:pid). */
function openedHost(socket: LabSocket): string | undefined {
  return socket.received.find((m) => m.op === 'opened')?.host as string | undefined;
}

function hostOf(name: string): (typeof hosts)[number] {
  const pid = Number(name.slice(name.lastIndexOf(':') + 1));
  const host = hosts.find((h) => h.server.pid === pid);
  if (!host) throw new Error(`the lab ran on ${name}, which is not one of this test's hosts (${hosts.map((h) => h.server.pid).join(', ')})`);
  return host;
}

function userEvents(socket: LabSocket): Record<string, unknown>[] {
  return socket.received.filter((m) => m.op === 'event' && (m.event as { type: string }).type === 'user').map((m) => m.event as Record<string, unknown>);
}

/** The balancer as the lab's events last described it on this socket. */
function balancer(socket: LabSocket): { strategy: string } | undefined {
  const events = socket.received.filter((m) => m.op === 'event').map((m) => m.event as Record<string, unknown>);
  const last = events.filter((e) => e.type === 'process' && e.role === 'balancer' && e.state === 'up').at(-1);
  return last ? { strategy: String(last.strategy) } : undefined;
}

describe('several lab hosts behind nginx', () => {
  it('a learner whose lab host is killed continues on the other host with their edited code', { timeout: 240_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const sockets = watchLabSockets(page);
    await page.goto(`${nginxUrl}/lessons/any-server/?runtime=server`);
    await page.locator('.pg-root[data-playground-ready]').waitFor({ timeout: 60_000 });
    const status = page.locator('.pg-status-line');
    const notice = page.locator('.pg-notice');
    const editor = page.getByRole('region', { name: 'Editor' });
    try {
      await learnerLosesHosts(page, sockets, { status, notice, editor });
    } catch (error) {
      // What the learner saw, and what nginx said, make a failure readable.
      const seen = async (l: Locator) => (await l.innerText({ timeout: 1000 }).catch(() => '(not shown)')).trim();
      const nginxLog = (await nginx?.errorLog()) ?? '';
      console.error(`status: ${await seen(status)}\nnotice: ${await seen(notice)}\nlab sockets: ${sockets.length}\nnginx error.log (end):\n${nginxLog.slice(-2000)}`);
      throw error;
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});

async function learnerLosesHosts(page: Page, sockets: LabSocket[], { status, notice, editor }: Record<'status' | 'notice' | 'editor', Locator>): Promise<void> {
  // Edit: the editor's files now differ from the starter (not saved, as a learner would leave them).
  await editor.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(edited);
  await editor.getByText(/Unsaved/).first().waitFor();

  // Run, then reshape the cluster: four instances, least-connections.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await status.filter({ hasText: 'Running: all 3 instances up.' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Add instance' }).click();
  await status.filter({ hasText: 'Running: all 4 instances up.' }).waitFor({ timeout: 60_000 });
  await page.getByLabel('Balancing').selectOption('least-connections');
  await waitFor('the strategy change', async () => (balancer(sockets[0]!)?.strategy === 'least-connections' ? true : undefined));

  // Which host holds the lab? The one the `opened` message names. Kill it outright.
  expect(sockets).toHaveLength(1);
  const first = sockets[0]!;
  const victim = hostOf(openedHost(first)!);
  const survivor = hosts.find((h) => h !== victim)!;
  process.kill(victim.server.pid, 'SIGKILL');

  // The page says what happened, and the cluster is back, in the same shape, on the other host.
  await notice.filter({ hasText: /lab host you were using went away.*rebuilt.*Nothing you wrote was lost/ }).waitFor({ timeout: 90_000 });
  // The status line, which stays in view while the learner scrolls, says so too.
  await status.filter({ hasText: /^Running: all 4 instances up\. \(Rebuilt on lab host .+ after the previous host went away\.\)/ }).waitFor({ timeout: 60_000 });
  expect(first.closed).toBe(true);
  const second = sockets.at(-1)!;
  expect(second).not.toBe(first);
  expect(hostOf(openedHost(second)!)).toBe(survivor);
  await expect(notice.innerText()).resolves.toContain(openedHost(second)!);

  // The rebuilt lab was opened with the edited files, and the edited code is what answers.
  const open = second.sent.find((m) => m.op === 'open') as { files: { path: string; content: string }[] } | undefined;
  expect(open?.files.find((f) => f.path === 'server.js')?.content).toContain(MARK);
  await waitFor('the rebuilt balancer to switch back to least-connections', async () => (balancer(second)?.strategy === 'least-connections' ? true : undefined));
  // A virtual user's visit goes through the new balancer to an instance (the lab's network is its own, so the
  // test asks the page rather than the port): the answer comes from the edited code.
  await page.getByRole('button', { name: 'Visit as Alice' }).click();
  const visit = await waitFor('Alice\'s visit', async () => userEvents(second).find((e) => e.action === 'visit'));
  expect(visit.status).toBe(200);
  expect(JSON.parse(String(visit.body))).toMatchObject({ message: MARK });
  // The editor still holds the edit.
  await expect(editor.locator('.view-lines').innerText()).resolves.toContain(MARK);

  // Now the other host goes too: nothing answers, and after a few attempts the page says so and offers Reconnect.
  process.kill(survivor.server.pid, 'SIGKILL');
  const reconnect = page.getByRole('button', { name: 'Reconnect' });
  await reconnect.waitFor({ timeout: 90_000 });
  await status.filter({ hasText: /No lab host answered after \d+ attempts/ }).waitFor();
  await expect(status.innerText()).resolves.toMatch(/Your edits are safe in the editor/);

  // A host comes back on the same address; Reconnect, from the keyboard, rebuilds the lab once more.
  survivor.server = await spawnStart({ env, port: survivor.port });
  await reconnect.focus();
  await page.keyboard.press('Enter');
  await status.filter({ hasText: 'Running: all 4 instances up.' }).waitFor({ timeout: 90_000 });
  const third = sockets.at(-1)!;
  expect(hostOf(openedHost(third)!)).toBe(survivor);
  const open3 = third.sent.find((m) => m.op === 'open') as { files: { path: string; content: string }[] } | undefined;
  expect(open3?.files.find((f) => f.path === 'server.js')?.content).toContain(MARK);
  await expect(editor.locator('.view-lines').innerText()).resolves.toContain(MARK);
}
