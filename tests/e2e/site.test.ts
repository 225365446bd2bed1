import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectedLessons, launchChromium, projectRoot } from './helpers.ts';

const base = inject('siteUrl');
const lessons = expectedLessons();
const lessonUrl = (slug: string) => `${base}/lessons/${slug}/`;

// What the map must show, read from the sources an author edits: each lesson's `minutes` and the course file's goals.
const lessonsDir = join(projectRoot, 'src', 'lessons');
const minutesOf = (folder: string) =>
  (load(/^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(join(lessonsDir, folder, 'index.md'), 'utf8'))![1]!) as { minutes: number }).minutes;
const minutes = lessons.map((l) => minutesOf(l.folder));
const totalMinutes = minutes.reduce((a, b) => a + b, 0);
const goals = (load(readFileSync(join(lessonsDir, 'course.yml'), 'utf8')) as { goals: string[] }).goals;
/** 235 → "about 3 h 55 min", as the map writes a sum of estimates. */
const about = (total: number) => {
  const [hours, rest] = [Math.floor(total / 60), total % 60];
  return `about ${[hours ? `${hours} h` : '', rest ? `${rest} min` : ''].filter(Boolean).join(' ')}`;
};
const lessonNumber = (folder: string) => `Lesson ${Number.parseInt(folder, 10)}`;
const PROGRESS_KEY = 'stateless-lab:progress:v1';
/** Words in order, anything between them, any case: e.g. ["Up next", "Lesson 3", title]. */
const inOrder = (...words: string[]) => new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*'), 'i');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function open(
  path: string,
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<{ page: Page; context: BrowserContext; responses: Response[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const responses: Response[] = [];
  page.on('response', (r) => responses.push(r));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(path.startsWith('http') ? path : base + path, { waitUntil: 'networkidle' });
  expect(errors, `script errors on ${path}`).toEqual([]);
  return { page, context, responses };
}

describe('course map', () => {
  /** The words a sighted reader sees: without the spelt-out twins kept for screen readers. */
  const seen = (locator: Locator) =>
    locator.evaluate((el) => {
      const copy = el.cloneNode(true) as Element;
      for (const hidden of copy.querySelectorAll('.visually-hidden')) hidden.remove();
      return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
    });
  const steps = (page: Page) => page.locator('ol.lessons > li');
  const startLink = (page: Page) => page.locator('[data-next-link]');

  it('lists every lesson in order with its one-line summary and time estimate', async () => {
    const { page, context } = await open('/');
    await expect(page.title()).resolves.toBe('Stateless Lab');
    const items = steps(page);
    await expect(items.count()).resolves.toBe(lessons.length);
    for (const [i, lesson] of lessons.entries()) {
      const item = items.nth(i);
      await expect(item.getByRole('link').innerText()).resolves.toContain(lesson.title);
      await expect(item.innerText()).resolves.toContain(lesson.summary);
      await expect(seen(item.locator('[data-minutes-shown]'))).resolves.toBe(`~${minutes[i]} min`);
      await expect(item.locator('[data-progress-for]').innerText()).resolves.toContain('Not started');
    }
    await context.close();
  });

  it('says what the course teaches, how long it takes and where to start', async () => {
    const { page, context } = await open('/');
    const goalList = page.getByRole('region', { name: 'After the course, you can' }).getByRole('listitem');
    await expect(goalList.allInnerTexts()).resolves.toEqual(goals);
    await expect(seen(page.locator('[data-course-facts]'))).resolves.toBe(`${lessons.length} lessons, ${about(totalMinutes)} in all`);
    // Each part adds up its own lessons' estimates, and the parts together hold every lesson once.
    const parts = page.locator('ol.path > li');
    let counted = 0;
    for (let p = 0; p < (await parts.count()); p++) {
      const count = await parts.nth(p).locator('ol.lessons > li').count();
      const sum = minutes.slice(counted, counted + count).reduce((a, b) => a + b, 0);
      await expect(seen(parts.nth(p).locator('.part-meta'))).resolves.toBe(`Part ${p + 1} · ${count === 1 ? '1 lesson' : `${count} lessons`} · ${about(sum)}`);
      counted += count;
    }
    expect(counted).toBe(lessons.length);

    await expect(page.locator('[data-progress-count]').innerText()).resolves.toBe(`0 of ${lessons.length} lessons passed`);
    await expect(page.locator('[data-progress-left]').innerText()).resolves.toBe('Nothing saved in this browser yet');
    await expect(startLink(page).getAttribute('href')).resolves.toBe(`/lessons/${lessons[0]!.slug}/`);
    await expect(startLink(page).innerText()).resolves.toMatch(inOrder('Start here', lessonNumber(lessons[0]!.folder), lessons[0]!.title));
    await expect(steps(page).nth(0).getByRole('link').getAttribute('aria-current')).resolves.toBe('step');
    await expect(steps(page).nth(0).locator('[data-next-badge]').innerText()).resolves.toMatch(/start here/i);
    await expect(page.locator('[aria-current="step"]').count()).resolves.toBe(1);
    await context.close();
  });

  it('links to every lesson page, and each page works', async () => {
    const { page, context } = await open('/');
    for (const [i, lesson] of lessons.entries()) {
      await page.goto(`${base}/`);
      await steps(page).nth(i).getByRole('link', { name: lesson.title }).click();
      await page.waitForURL(lessonUrl(lesson.slug));
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(lesson.title);
    }
    await context.close();
  });

  it('marks a visited lesson as started, counts passed lessons and points at the next one', async () => {
    const { page, context } = await open(`/lessons/${lessons[0]!.slug}/`);
    await page.goto(`${base}/`);
    await expect(page.locator(`[data-progress-for="${lessons[0]!.slug}"]`).innerText()).resolves.toContain('Started');
    await expect(page.locator(`[data-progress-for="${lessons[1]!.slug}"]`).innerText()).resolves.toContain('Not started');
    // Opened, not passed: the map offers to continue it.
    await expect(startLink(page).innerText()).resolves.toMatch(inOrder('Continue', lessonNumber(lessons[0]!.folder), lessons[0]!.title));
    await expect(steps(page).nth(0).locator('[data-next-badge]').innerText()).resolves.toMatch(/continue/i);
    await expect(page.locator('[data-progress-count]').innerText()).resolves.toBe(`0 of ${lessons.length} lessons passed`);
    await expect(page.locator('[data-progress-left]').innerText()).resolves.toMatch(inOrder(`${about(totalMinutes)} left`));

    // The playground records a pass through playground/client/progress.ts.
    await page.evaluate(([key, slug]) => {
      const saved = JSON.parse(localStorage.getItem(key!) ?? '{}');
      localStorage.setItem(key!, JSON.stringify({ ...saved, [slug!]: 'passed' }));
    }, [PROGRESS_KEY, lessons[1]!.slug]);
    await page.reload();
    await expect(page.locator(`[data-progress-for="${lessons[1]!.slug}"]`).innerText()).resolves.toContain('Passed');
    await expect(page.locator('[data-progress-count]').innerText()).resolves.toBe(`1 of ${lessons.length} lessons passed`);
    await expect(page.locator('[data-progress-left]').innerText()).resolves.toMatch(inOrder(`${about(totalMinutes - minutes[1]!)} left`));
    await expect(page.locator(`[data-segment-for="${lessons[1]!.slug}"]`).getAttribute('data-state')).resolves.toBe('passed');
    // After the furthest lesson passed comes the one after it, which nobody opened yet.
    const next = lessons[2]!;
    await expect(startLink(page).getAttribute('href')).resolves.toBe(`/lessons/${next.slug}/`);
    await expect(startLink(page).innerText()).resolves.toMatch(inOrder('Up next', lessonNumber(next.folder), next.title));
    await expect(steps(page).nth(2).getByRole('link').getAttribute('aria-current')).resolves.toBe('step');
    await expect(steps(page).nth(2).locator('[data-next-badge]').innerText()).resolves.toMatch(/up next/i);
    await expect(steps(page).nth(0).locator('[data-next-badge]').innerText()).resolves.toBe('');
    await expect(page.locator('[aria-current="step"]').count()).resolves.toBe(1);

    await page.evaluate((key) => localStorage.setItem(key, JSON.stringify(Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-course-lesson]')].map((el) => [el.dataset.slug, 'passed'])))), PROGRESS_KEY);
    await page.reload();
    await expect(page.locator('[data-progress-count]').innerText()).resolves.toBe(`All ${lessons.length} lessons passed`);
    await expect(page.locator('[aria-current="step"]').count()).resolves.toBe(0);
    await context.close();
  });

  it('shows the course, its goals and where to start without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Stateless Lab');
    await expect(page.getByRole('region', { name: 'After the course, you can' }).getByRole('listitem').count()).resolves.toBe(goals.length);
    await expect(startLink(page).getAttribute('href')).resolves.toBe(`/lessons/${lessons[0]!.slug}/`);
    await expect(steps(page).count()).resolves.toBe(lessons.length);
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).resolves.toBe(true);
    await context.close();
  });
});

describe('lesson page', () => {
  const lesson = lessons[1]!;

  it('shows the prose and a labelled playground region with its regions and controls', async () => {
    const { page, context } = await open(`/lessons/${lesson.slug}/`);
    const prose = page.getByRole('article');
    await expect(prose.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(lesson.title);
    await expect(prose.locator('.prose p').count()).resolves.toBeGreaterThan(2);
    await expect(prose.locator('pre.astro-code').count()).resolves.toBeGreaterThan(0); // highlighted code
    await expect(prose.locator('figure img').first().getAttribute('alt')).resolves.toBeTruthy(); // a diagram

    const playground = page.getByRole('region', { name: 'Playground' });
    await expect(playground.isVisible()).resolves.toBe(true);
    await playground.locator('[data-playground-ready]').waitFor();
    // Every region is on screen or one click away on the view switch.
    const views: Record<string, string[]> = { Editor: ['code'], Cluster: ['cluster'], Users: ['users', 'cluster'], Checks: ['checks'], Terminal: ['terminal'] };
    for (const [name, candidates] of Object.entries(views)) {
      const region = playground.locator(`section.pg-region.pg-${name.toLowerCase()}`);
      if (!(await region.isVisible())) {
        const button = playground.locator(candidates.map((v) => `.pg-views button[data-view="${v}"]:visible`).join(', ')).first();
        await button.click();
      }
      await expect(playground.getByRole('region', { name }).isVisible(), name).resolves.toBe(true);
    }
    for (const name of ['Run', 'Check', 'Reset', 'Show solution']) {
      await expect(playground.getByRole('button', { name, exact: true }).isVisible(), name).resolves.toBe(true);
    }
    await expect(playground.innerText()).resolves.toContain('Press Run');
    await context.close();
  });

  it('embeds the lab settings and the starter and solution files for the playground', async () => {
    const { page, context } = await open(`/lessons/${lesson.slug}/`);
    const data = JSON.parse((await page.locator('script[data-lesson-data]').textContent())!) as {
      slug: string;
      title: string;
      lab: { instances: number; entry: string };
      starter: { path: string; content: string }[];
      solution: { path: string; content: string }[];
    };
    expect(data.slug).toBe(lesson.slug);
    expect(data.title).toBe(lesson.title);
    expect(data.lab.instances).toBeGreaterThan(0);
    expect(data.starter.map((f) => f.path)).toEqual(lesson.starterFiles);
    expect(Array.isArray(data.solution)).toBe(true);
    await context.close();
  });

  it('reveals hints one at a time', async () => {
    const { page, context } = await open(`/lessons/${lesson.slug}/`);
    const hints = page.getByRole('region', { name: 'Stuck? Hints' }).locator('details');
    const count = await hints.count();
    expect(count).toBeGreaterThan(1);
    await expect(hints.nth(1).isVisible()).resolves.toBe(false);
    await hints.nth(0).locator('summary').click();
    await expect(hints.nth(0).locator('p').isVisible()).resolves.toBe(true);
    await hints.nth(1).waitFor({ state: 'visible' });
    await context.close();
  });

  it('links to the previous and next lessons', async () => {
    const { page, context } = await open(`/lessons/${lesson.slug}/`);
    const pager = page.getByRole('navigation', { name: 'Previous and next lesson' });
    await expect(pager.locator('a[rel=prev]').getAttribute('href')).resolves.toBe(`/lessons/${lessons[0]!.slug}/`);
    await expect(pager.locator('a[rel=next]').getAttribute('href')).resolves.toBe(`/lessons/${lessons[2]!.slug}/`);
    await pager.locator('a[rel=next]').click();
    await page.waitForURL(lessonUrl(lessons[2]!.slug));
    await context.close();
  });

  it('has a skip link and a keyboard-operable resizer', async () => {
    const { page, context } = await open(`/lessons/${lesson.slug}/`);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toBe('Skip to content');

    const resizer = page.getByRole('separator', { name: 'Resize lesson and playground' });
    const before = Number(await resizer.getAttribute('aria-valuenow'));
    const proseWidth = () => page.locator('#lesson-pane').evaluate((el) => el.getBoundingClientRect().width);
    const widthBefore = await proseWidth();
    await resizer.focus();
    await page.keyboard.press('ArrowLeft');
    await expect(resizer.getAttribute('aria-valuenow')).resolves.toBe(String(before - 5));
    expect(await proseWidth()).toBeLessThan(widthBefore);
    await page.keyboard.press('End');
    await expect(resizer.getAttribute('aria-valuenow')).resolves.toBe(await resizer.getAttribute('aria-valuemax'));
    await page.keyboard.press('Home');
    await expect(resizer.getAttribute('aria-valuenow')).resolves.toBe(await resizer.getAttribute('aria-valuemin'));

    // Dragging with the mouse: drop the divider at 60% of the width.
    const box = (await resizer.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(1280 * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const dragged = Number(await resizer.getAttribute('aria-valuenow'));
    expect(dragged).toBeGreaterThanOrEqual(58);
    expect(dragged).toBeLessThanOrEqual(62);
    await context.close();
  });

  it('on a phone, stacks the panes and loads the playground only when it is shown', async () => {
    const { page, context, responses } = await open(`/lessons/${lesson.slug}/`, { width: 390, height: 844 });
    const mountRequested = () => responses.some((r) => /\/(_astro\/mount\.[\w-]+\.js|playground\/client\/mount\.ts)(\?.*)?$/.test(r.url()));
    const playground = page.getByRole('region', { name: 'Playground' });
    const prose = page.locator('#lesson-pane');

    await expect(prose.isVisible()).resolves.toBe(true);
    await expect(playground.isVisible()).resolves.toBe(false);
    await page.waitForTimeout(300);
    expect(mountRequested(), 'playground code loaded before the playground was shown').toBe(false);
    expect(await page.content(), 'playground styles are in the page before it is shown').not.toContain('.pg-root');

    await page.getByRole('button', { name: 'Playground' }).click();
    await playground.locator('[data-playground-ready]').waitFor();
    expect(mountRequested()).toBe(true);
    await expect(prose.isVisible()).resolves.toBe(false);
    await expect(page.getByRole('button', { name: 'Playground' }).getAttribute('aria-pressed')).resolves.toBe('true');

    await page.getByRole('button', { name: 'Lesson' }).click();
    await expect(prose.isVisible()).resolves.toBe(true);
    await expect(playground.isVisible()).resolves.toBe(false);
    await context.close();
  });
});

describe('cross-origin isolation', () => {
  const routes = ['/', ...lessons.map((l) => `/lessons/${l.slug}/`), '/no-such-page/'];

  it.each(routes)('%s and everything it loads carry COOP/COEP, and the page is isolated', async (route) => {
    const { page, context, responses } = await open(route);
    // Stand-in playground loaded too (wide screen), so its chunk and CSS are covered.
    if (route.startsWith('/lessons/')) await page.locator('[data-playground-ready]').waitFor();
    const sameOrigin = responses.filter((r) => r.url().startsWith(base));
    expect(sameOrigin.length).toBeGreaterThan(1);
    for (const response of sameOrigin) {
      const headers = await response.allHeaders();
      expect(headers['cross-origin-opener-policy'], response.url()).toBe('same-origin');
      expect(headers['cross-origin-embedder-policy'], response.url()).toBe('require-corp');
    }
    await expect(page.evaluate(() => globalThis.crossOriginIsolated)).resolves.toBe(true);
    await context.close();
  });

  it('serves the 404 page with status 404', async () => {
    const res = await fetch(`${base}/no-such-page/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Page not found');
  });
});

describe('accessibility (axe-core)', () => {
  const pages = [
    { name: 'course map', path: '/' },
    { name: 'lesson page', path: `/lessons/${lessons[1]!.slug}/` },
  ];
  const variants = [
    { name: 'desktop, light', width: 1280, height: 800, colorScheme: 'light' as const },
    { name: 'desktop, dark', width: 1280, height: 800, colorScheme: 'dark' as const },
    { name: 'phone, light', width: 390, height: 844, colorScheme: 'light' as const },
  ];
  for (const target of pages) {
    for (const variant of variants) {
      it(`${target.name} (${variant.name}) has no serious or critical violations`, async () => {
        const { page, context } = await open(target.path, variant);
        if (target.path !== '/' && variant.width > 900) await page.locator('[data-playground-ready]').waitFor();
        const results = await new AxeBuilder({ page }).analyze();
        const bad = results.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect(bad).toEqual([]);
        await context.close();
      });
    }
  }
});

describe('lesson variants stay out of the site', () => {
  it('no built file carries a variant, and the lab host serves none of them', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { lessonFolders, loadLesson, loadVariants } = await import('../../playground/course/lessons.ts');
    const { projectRoot } = await import('./helpers.ts');
    const notes: string[] = [];
    for (const folder of await lessonFolders()) for (const v of await loadVariants(await loadLesson(folder))) notes.push(v.note);
    expect(notes.length).toBeGreaterThan(0);
    const dist = join(projectRoot, 'dist');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (!/\.(png|jpe?g|woff2?|ico|snapshot)$/.test(name)) files.push(full);
      }
    };
    walk(dist);
    const leaked = files.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return notes.some((note) => text.includes(note) || text.includes(JSON.stringify(note).slice(1, -1)));
    });
    expect(leaked).toEqual([]);
    const lesson = (await lessonFolders())[1]!;
    const answer = await fetch(`${base}/src/lessons/${lesson}/variants/`);
    expect(answer.status).toBe(404);
  });
});
