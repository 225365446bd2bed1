/**
 * The banner above the terminal, one row per crashed process so the reason is on screen without scrolling: the
 * shown process first, with room for its reason; the others on one line each with a button to show their output.
 * At most three rows; the rest are counted.
 */
import { el } from '../../dom.ts';
import { bannerRows } from './tab-rules.ts';
import { crashBannerText, processLabel, type TermProcess } from './terminals-format.ts';

export interface CrashBanner<T extends TermProcess> {
  root: HTMLElement;
  /** `ordered`: every process in display order; `active`: the one shown. */
  update(ordered: readonly T[], active: T | undefined): void;
}

/** `onShow`: the learner asked to see a crashed process's output. */
export function crashBanner<T extends TermProcess>(onShow: (crashed: T) => void): CrashBanner<T> {
  const root = el('div', { class: 'term-banner', 'aria-live': 'polite' });
  root.hidden = true;

  const row = (crashed: T, current: boolean) => {
    const reason = el('span', { class: 'term-reason', title: crashed.reason ?? '' }, el('strong', {}, `${processLabel(crashed)} crashed:`), ` ${crashBannerText(crashed.reason)}`);
    const line = el('p', { class: `term-banner-line${current ? ' term-current' : ''}` }, reason);
    if (!current) {
      const show = el('button', { type: 'button', class: 'term-show', 'aria-label': `Show the output of ${processLabel(crashed)}` }, 'Show');
      show.addEventListener('click', () => onShow(crashed));
      line.append(show);
    }
    return line;
  };

  return {
    root,
    update(ordered, active) {
      const { rows, more } = bannerRows(ordered, active);
      root.replaceChildren(...rows.map((crashed) => row(crashed, crashed === active)));
      root.hidden = rows.length === 0;
      if (more > 0) root.append(el('p', { class: 'term-banner-line' }, `and ${more} more crashed (see the tabs)`));
    },
  };
}
