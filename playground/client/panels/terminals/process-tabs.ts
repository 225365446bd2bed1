/**
 * The Terminal panel's tab strip: one tab per process in display order, each with a crash or "new output"
 * marker; one tab selected at a time, reachable with Tab (roving tabindex) and moved between with the arrow
 * keys, Home and End.
 */
import { el, tabKeyTarget } from '../../dom.ts';
import type { ProcessState } from '../../session/lab-store.ts';
import { byDisplayOrder, marksUnread } from './tab-rules.ts';
import { tabMarkerText, tabTitle, type TermProcess } from './terminals-format.ts';

export interface ProcessTab extends TermProcess {
  button: HTMLButtonElement;
  marker: HTMLElement;
  /** Output arrived while another tab was shown. */
  unread: boolean;
}

export interface ProcessTabsOptions {
  /** Prefix of the tabs' ids (unique per panel). */
  idPrefix: string;
  /** The tab panel the tabs control. */
  panelId: string;
  /** A different tab was selected: show its output. */
  onSelect(tab: ProcessTab): void;
}

export interface ProcessTabs {
  /** The tablist. */
  root: HTMLElement;
  /** The selected tab (none before the first `select`). */
  active(): ProcessTab | undefined;
  get(key: string): ProcessTab | undefined;
  /** Tabs in display order (the DOM order too). */
  ordered(): ProcessTab[];
  add(key: string, role: TermProcess['role'], title: string): ProcessTab;
  remove(tab: ProcessTab): void;
  select(tab: ProcessTab, focus?: boolean): void;
  setState(tab: ProcessTab, state: ProcessState, reason: string | undefined): void;
  /** Output arrived for `tab` and is not on screen: mark it (unless the rules say otherwise). */
  noteOutput(tab: ProcessTab): void;
}

export function processTabs(options: ProcessTabsOptions): ProcessTabs {
  const root = el('div', { class: 'term-tabs', role: 'tablist', 'aria-label': 'Process output' });
  const tabs = new Map<string, ProcessTab>();
  let active: ProcessTab | undefined;

  const ordered = () => [...tabs.values()].sort(byDisplayOrder);

  const render = (tab: ProcessTab) => {
    const crashed = tab.state === 'crashed';
    tab.button.classList.toggle('term-crashed', crashed);
    tab.button.classList.toggle('term-unread', tab.unread && !crashed);
    tab.marker.replaceChildren(tabMarkerText(tab, tab.unread));
    tab.marker.hidden = !crashed && !tab.unread;
    tab.button.title = tabTitle(tab);
  };

  const setUnread = (tab: ProcessTab, unread: boolean) => {
    tab.unread = unread;
    render(tab);
  };

  const select = (tab: ProcessTab, focus = false) => {
    if (active !== tab) {
      if (active) {
        active.button.setAttribute('aria-selected', 'false');
        active.button.tabIndex = -1;
      }
      active = tab;
      tab.button.setAttribute('aria-selected', 'true');
      tab.button.tabIndex = 0;
      setUnread(tab, false);
      // The All tab shows everyone's output: nothing is unread any more.
      if (tab.role === 'all') for (const other of tabs.values()) if (other.unread) setUnread(other, false);
      options.onSelect(tab);
    }
    if (focus) tab.button.focus();
  };

  const add = (key: string, role: TermProcess['role'], title: string): ProcessTab => {
    const marker = el('span', { class: 'term-marker' });
    marker.hidden = true;
    const button = el(
      'button',
      { type: 'button', role: 'tab', class: 'term-tab', id: `${options.idPrefix}-tab-${key.replace(/\W/g, '_')}`, 'aria-selected': 'false', 'aria-controls': options.panelId, tabindex: '-1' },
      el('span', { class: 'term-name' }, ...(role === 'instance' ? [el('span', { class: 'term-vh' }, 'Instance '), title] : [title])),
      marker,
    );
    const tab: ProcessTab = { key, role, state: 'stopped', button, marker, unread: false };
    button.addEventListener('click', () => select(tab));
    tabs.set(key, tab);
    const list = ordered();
    const next = list[list.indexOf(tab) + 1];
    root.insertBefore(button, next?.button ?? null);
    render(tab);
    return tab;
  };

  root.addEventListener('keydown', (event) => {
    const list = ordered();
    const index = list.findIndex((t) => t.button === document.activeElement);
    if (index < 0) return;
    const next = tabKeyTarget(event.key, index, list.length);
    if (next < 0) return;
    event.preventDefault();
    select(list[next]!, true);
  });

  return {
    root,
    active: () => active,
    get: (key) => tabs.get(key),
    ordered,
    add,
    remove(tab) {
      tabs.delete(tab.key);
      tab.button.remove();
    },
    select,
    setState(tab, state, reason) {
      if (tab.state === state && tab.reason === reason) return;
      tab.state = state;
      tab.reason = reason;
      if (state === 'crashed') tab.unread = false;
      render(tab);
    },
    noteOutput(tab) {
      if (marksUnread(tab, active)) setUnread(tab, true);
    },
  };
}
