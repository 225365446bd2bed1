/**
 * Is the lesson's moment on screen? The regions that make it — the editor, every instance of the cluster, every
 * user's row, the newest request in the users log — each measured in the page: a box counts as shown only when it
 * is wholly inside the viewport and inside every ancestor that clips it (a panel scrolled past it does not count).
 * Used by the playground layout test and the moment screenshots.
 */
import type { Page } from 'playwright-core';

export interface MomentOnScreen {
  editor: boolean;
  instances: boolean;
  users: boolean;
  newestRequest: boolean;
  /** Bottom of the sticky chrome (site header, pane switch, playground toolbar), in CSS pixels from the top. */
  chromeBottom: number;
}

export function momentOnScreen(page: Page): Promise<MomentOnScreen> {
  return page.evaluate(() => {
    const shown = (el: Element | null): boolean => {
      if (!el) return false;
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) return false;
      let top = 0;
      let left = 0;
      let bottom = innerHeight;
      let right = innerWidth;
      for (let a = el.parentElement; a; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const clip = a.getBoundingClientRect();
        top = Math.max(top, clip.top);
        left = Math.max(left, clip.left);
        bottom = Math.min(bottom, clip.bottom);
        right = Math.min(right, clip.right);
      }
      const slack = 1;
      return box.top >= top - slack && box.left >= left - slack && box.bottom <= bottom + slack && box.right <= right + slack;
    };
    const every = (selector: string) => {
      const found = [...document.querySelectorAll(selector)];
      return found.length > 0 && found.every(shown);
    };
    const rows = document.querySelectorAll('.pg-users .pg-log-row');
    const chrome = [document.querySelector('.site-header'), document.querySelector('.view-toggle'), document.querySelector('.pg-top')]
      .filter((el): el is Element => Boolean(el) && getComputedStyle(el!).display !== 'none')
      .map((el) => el.getBoundingClientRect().bottom);
    return {
      editor: shown(document.querySelector('.pg-editor .monaco-editor')),
      instances: every('.pg-cluster .pg-inst'),
      users: every('.pg-users .pg-user-row'),
      newestRequest: shown(rows[rows.length - 1] ?? null),
      chromeBottom: Math.round(Math.max(0, ...chrome)),
    };
  });
}
