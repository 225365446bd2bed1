/**
 * The Terminal panel: one tab per process (balancer, instances A, B, C… as they appear, redis) plus "All",
 * each showing that process's output from the lab store. stderr is red; lab notices (state changes, deploy
 * steps) are bold and prefixed "[lab]". A crashed process gets a marker on its tab and a banner above the
 * terminal with the reason, so the reason is on screen without scrolling.
 *
 * One xterm shows the selected tab; each tab keeps its own bounded line buffer and is replayed on switch.
 * xterm loads on demand when the panel mounts.
 */
import css from './terminals.css?inline';
import type { Disposable, MountTerminals } from '../../components.ts';
import type { LabState, LabStore, LogLine, ProcessState } from '../../session/lab-store.ts';
import { ansiLine, crashBannerText, processLabel, TERMINAL_KEYS, terminalKeyAction, type TermProcess } from './terminals-format.ts';
import { addStyles, el, tabKeyTarget } from '../../dom.ts';
import type { Terminal as XTerm } from '@xterm/xterm';

/** Lines kept per process (and for "All"); older lines are dropped. */
const MAX_LINES = 1000;
const ALL = '*all';

let ids = 0;

interface Tab extends TermProcess {
  lines: string[];
  button: HTMLButtonElement;
  marker: HTMLElement;
  /** Output arrived while another tab was shown. */
  unread: boolean;
}

function terminalTheme(dark: boolean) {
  const value = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  return dark
    ? {
        background: value('--surface', '#1a1d21'),
        foreground: value('--text', '#e6e8eb'),
        cursor: value('--surface', '#1a1d21'),
        selectionBackground: '#3a4a66',
        red: '#ff8a80',
        brightRed: '#ffb4ab',
        green: '#6fd19a',
        brightGreen: '#8de0b0',
        yellow: '#e8c46a',
        blue: value('--accent', '#7fb0ff'),
        brightBlue: '#a9caff',
        cyan: '#7fd3e6',
        brightBlack: '#8b929c',
      }
    : {
        background: value('--surface', '#ffffff'),
        foreground: value('--text', '#1c1e21'),
        cursor: value('--surface', '#ffffff'),
        selectionBackground: '#c9dafb',
        red: '#b3261e',
        brightRed: '#8c1d18',
        green: '#17663a',
        brightGreen: '#17663a',
        yellow: '#7a5a00',
        blue: value('--accent', '#0a58ca'),
        brightBlue: '#083f91',
        cyan: '#0b6374',
        brightBlack: '#5f6670',
      };
}

export const mountTerminals: MountTerminals = async (element: HTMLElement, store: LabStore): Promise<Disposable> => {
  addStyles('terminals', css);
  const id = `term${++ids}`;
  const tablist = el('div', { class: 'term-tabs', role: 'tablist', 'aria-label': 'Process output' });
  const clear = el('button', { type: 'button', class: 'term-clear' }, 'Clear');
  const banner = el('div', { class: 'term-banner', 'aria-live': 'polite' });
  banner.hidden = true;
  const screen = el('div', { class: 'term-screen' });
  const panel = el('div', { class: 'term-panel', role: 'tabpanel', id: `${id}-panel`, tabindex: '-1' }, banner, screen);
  const root = el('div', { class: 'term-root' }, el('div', { class: 'term-head' }, tablist, clear), panel);
  element.replaceChildren(root);

  const [{ Terminal }, { FitAddon }, { default: xtermCss }] = await Promise.all([
    import('@xterm/xterm'),
    import('@xterm/addon-fit'),
    import('@xterm/xterm/css/xterm.css?inline'),
  ]);
  addStyles('xterm', xtermCss);

  const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
  const term: XTerm = new Terminal({
    disableStdin: true,
    convertEol: true,
    scrollback: MAX_LINES,
    fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--font-mono').trim() || 'ui-monospace, monospace',
    fontSize: 12,
    lineHeight: 1.2,
    cursorBlink: false,
    cursorStyle: 'bar',
    cursorInactiveStyle: 'none',
    theme: terminalTheme(darkQuery.matches),
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  term.write('\x1b[?25l'); // output only: no cursor
  // Output views only (stdin is disabled): Tab must not be swallowed by xterm's textarea, or focus is trapped.
  const keys = el('p', { class: 'term-vh', id: `${id}-keys` }, TERMINAL_KEYS);
  panel.append(keys);
  term.textarea?.setAttribute('aria-label', 'Process output (read-only)');
  term.textarea?.setAttribute('aria-describedby', keys.id);
  term.attachCustomKeyEventHandler((event) => {
    const action = terminalKeyAction(event);
    if (action === 'leave-to-tab' && event.type === 'keydown') {
      event.preventDefault();
      active?.button.focus();
    }
    return action === 'xterm';
  });

  const tabs = new Map<string, Tab>();
  let active: Tab | undefined;

  const refit = () => {
    if (!screen.isConnected || screen.clientWidth === 0 || screen.clientHeight === 0) return;
    try {
      fit.fit();
    } catch {
      /* not measurable yet */
    }
  };
  let fitFrame = 0;
  const resize = new ResizeObserver(() => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(refit);
  });
  resize.observe(screen);

  const onTheme = () => {
    term.options.theme = terminalTheme(darkQuery.matches);
  };
  darkQuery.addEventListener('change', onTheme);

  // ---- tabs ----

  const ordered = (): Tab[] => {
    const rank = (t: Tab) => (t.key === ALL ? 0 : t.role === 'balancer' ? 1 : t.role === 'instance' ? 2 : 3);
    return [...tabs.values()].sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
  };

  const renderTab = (tab: Tab) => {
    const crashed = tab.state === 'crashed';
    tab.button.classList.toggle('term-crashed', crashed);
    tab.button.classList.toggle('term-unread', tab.unread && !crashed);
    // Leading space: the tab's accessible name reads "Instance B crashed", not "Instance Bcrashed".
    tab.marker.replaceChildren(crashed ? ' crashed' : tab.unread ? ' new output' : '');
    tab.marker.hidden = !crashed && !tab.unread;
    tab.button.title = crashed && tab.reason ? `${processLabel(tab)} crashed: ${tab.reason}` : processLabel(tab);
  };

  const replay = (tab: Tab) => {
    term.reset();
    term.write('\x1b[?25l');
    if (tab.lines.length) term.write(tab.lines.join('\r\n') + '\r\n');
    else term.write(`\x1b[90m${tab.key === ALL ? 'No output yet. Press Run to start the cluster.' : `No output from ${processLabel(tab)} yet.`}\x1b[0m\r\n`);
  };

  /**
   * One row per crashed process: the shown one first, with room for its reason; the others on one line each
   * with a button to show their output. At most three rows; the rest are counted.
   */
  const renderBanner = () => {
    const crashed = ordered()
      .filter((t) => t.state === 'crashed')
      .sort((a, b) => Number(b === active) - Number(a === active));
    banner.replaceChildren();
    banner.hidden = crashed.length === 0;
    for (const tab of crashed.slice(0, 3)) {
      const reason = el('span', { class: 'term-reason', title: tab.reason ?? '' }, el('strong', {}, `${processLabel(tab)} crashed:`), ` ${crashBannerText(tab.reason)}`);
      const line = el('p', { class: `term-banner-line${tab === active ? ' term-current' : ''}` }, reason);
      if (tab !== active) {
        const show = el('button', { type: 'button', class: 'term-show', 'aria-label': `Show the output of ${processLabel(tab)}` }, 'Show');
        show.addEventListener('click', () => select(tab, true));
        line.append(show);
      }
      banner.append(line);
    }
    if (crashed.length > 3) banner.append(el('p', { class: 'term-banner-line' }, `and ${crashed.length - 3} more crashed (see the tabs)`));
  };

  const select = (tab: Tab, focus = false) => {
    if (active !== tab) {
      if (active) {
        active.button.setAttribute('aria-selected', 'false');
        active.button.tabIndex = -1;
      }
      active = tab;
      tab.button.setAttribute('aria-selected', 'true');
      tab.button.tabIndex = 0;
      tab.unread = false;
      renderTab(tab);
      if (tab === all) {
        for (const other of tabs.values()) {
          if (other.unread) {
            other.unread = false;
            renderTab(other);
          }
        }
      }
      panel.setAttribute('aria-labelledby', tab.button.id);
      clear.setAttribute('aria-label', `Clear ${tab.key === ALL ? 'all' : processLabel(tab)} output`);
      replay(tab);
      renderBanner();
    }
    if (focus) tab.button.focus();
  };

  const addTab = (key: string, role: TermProcess['role'], title: string): Tab => {
    const marker = el('span', { class: 'term-marker' });
    marker.hidden = true;
    const button = el(
      'button',
      { type: 'button', role: 'tab', class: 'term-tab', id: `${id}-tab-${key.replace(/\W/g, '_')}`, 'aria-selected': 'false', 'aria-controls': panel.id, tabindex: '-1' },
      el('span', { class: 'term-name' }, ...(role === 'instance' ? [el('span', { class: 'term-vh' }, 'Instance '), title] : [title])),
      marker,
    );
    const tab: Tab = { key, role, state: 'stopped', lines: [], button, marker, unread: false };
    button.addEventListener('click', () => select(tab));
    tabs.set(key, tab);
    // Keep DOM order = display order.
    const list = ordered();
    const next = list[list.indexOf(tab) + 1];
    tablist.insertBefore(button, next?.button ?? null);
    renderTab(tab);
    return tab;
  };

  const all = addTab(ALL, 'all', 'All');
  const balancer = addTab('balancer', 'balancer', 'balancer');
  const redis = addTab('redis', 'redis', 'redis');
  select(all);

  const push = (tab: Tab, text: string) => {
    tab.lines.push(text);
    if (tab.lines.length > MAX_LINES) tab.lines.splice(0, tab.lines.length - MAX_LINES);
    if (tab === active) term.write(text + '\r\n');
    // "New output" marks tabs whose output is not on screen (the All tab shows everyone's).
    else if (tab !== all && active !== all && !tab.unread && tab.state !== 'crashed') {
      tab.unread = true;
      renderTab(tab);
    }
  };

  const tabFor = (name: string): Tab => {
    const existing = tabs.get(name);
    if (existing) return existing;
    // Output from a process the state has not announced yet (an instance, by its letter).
    return addTab(name, 'instance', name);
  };

  // Output is batched per animation frame: a busy lab writes many lines at once, xterm likes few big writes.
  let pending: LogLine[] = [];
  let flushFrame = 0;
  const flush = () => {
    flushFrame = 0;
    const batch = pending;
    pending = [];
    for (const line of batch) {
      const tab = tabFor(line.name);
      push(tab, ansiLine(line, false));
      push(all, ansiLine(line, true));
    }
  };
  const offLog = store.onLog((line) => {
    pending.push(line);
    if (pending.length > MAX_LINES * 2) pending.splice(0, pending.length - MAX_LINES * 2);
    flushFrame ||= requestAnimationFrame(flush);
  });

  const syncState = (state: LabState) => {
    const seen = new Set<string>(['balancer', 'redis', ALL]);
    const setState = (tab: Tab, next: ProcessState | 'absent', reason?: string) => {
      const normal = next === 'absent' ? 'stopped' : next;
      if (tab.state === normal && tab.reason === reason) return;
      tab.state = normal;
      tab.reason = reason;
      if (normal === 'crashed') tab.unread = false;
      renderTab(tab);
    };
    setState(balancer, state.balancer.state);
    setState(redis, state.redis.state, state.redis.reason);
    for (const instance of state.instances) {
      seen.add(instance.name);
      const tab = tabs.get(instance.name) ?? addTab(instance.name, 'instance', instance.name);
      setState(tab, instance.state, instance.reason);
    }
    // Instances removed by scaling down lose their tab.
    for (const tab of [...tabs.values()]) {
      if (seen.has(tab.key) || tab.role !== 'instance') continue;
      tabs.delete(tab.key);
      tab.button.remove();
      if (active === tab) select(balancer);
    }
    renderBanner();
  };
  const offState = store.subscribe(syncState);

  tablist.addEventListener('keydown', (event) => {
    const list = ordered();
    const index = list.findIndex((t) => t.button === document.activeElement);
    if (index < 0) return;
    const next = tabKeyTarget(event.key, index, list.length);
    if (next < 0) return;
    event.preventDefault();
    select(list[next]!, true);
  });

  clear.addEventListener('click', () => {
    if (!active) return;
    active.lines = [];
    replay(active);
  });

  requestAnimationFrame(refit);

  return {
    dispose() {
      offLog();
      offState();
      cancelAnimationFrame(flushFrame);
      cancelAnimationFrame(fitFrame);
      resize.disconnect();
      darkQuery.removeEventListener('change', onTheme);
      term.dispose();
      root.remove();
    },
  };
};
