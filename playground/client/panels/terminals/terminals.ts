/**
 * The Terminal panel: one tab per process (balancer, instances A, B, C… as they appear, redis) plus "All",
 * each showing that process's output from the lab store. stderr is red; lab notices (state changes, deploy
 * steps) are bold and prefixed "[lab]". A crashed process gets a marker on its tab and a banner above the
 * terminal with the reason, so the reason is on screen without scrolling.
 *
 * Composed from small parts: the tab strip (process-tabs), the crash banner, the per-process output buffers and
 * one xterm (xterm-screen, loaded on demand when the panel mounts) that shows the selected tab, replayed from its
 * buffer on switch.
 */
import css from './terminals.css?inline';
import type { Disposable, MountTerminals } from '../../components.ts';
import type { LabState, LabStore, LogLine } from '../../session/lab-store.ts';
import { addStyles, el } from '../../dom.ts';
import { crashBanner } from './crash-banner.ts';
import { BoundedQueue, MAX_LINES, OutputBuffers, screenText } from './output-buffers.ts';
import { processTabs, type ProcessTab } from './process-tabs.ts';
import { ALL, listedProcesses, unlistedInstances } from './tab-rules.ts';
import { ansiLine, clearLabel, emptyOutputNote } from './terminals-format.ts';
import { openXtermScreen } from './xterm-screen.ts';

let ids = 0;

export const mountTerminals: MountTerminals = async (element: HTMLElement, store: LabStore): Promise<Disposable> => {
  addStyles('terminals', css);
  const id = `term${++ids}`;
  const outputs = new OutputBuffers(MAX_LINES);

  const tabs = processTabs({ idPrefix: id, panelId: `${id}-panel`, onSelect: (tab) => show(tab) });
  const banner = crashBanner<ProcessTab>((tab) => tabs.select(tab, true));
  const clear = el('button', { type: 'button', class: 'term-clear' }, 'Clear');
  const screen = el('div', { class: 'term-screen' });
  const panel = el('div', { class: 'term-panel', role: 'tabpanel', id: `${id}-panel`, tabindex: '-1' }, banner.root, screen);
  const root = el('div', { class: 'term-root' }, el('div', { class: 'term-head' }, tabs.root, clear), panel);
  element.replaceChildren(root);

  const xterm = await openXtermScreen(screen, {
    descriptionId: `${id}-keys`,
    scrollback: MAX_LINES,
    onEscape: () => tabs.active()?.button.focus(),
  });
  panel.append(xterm.description);

  const replay = (tab: ProcessTab) => xterm.show(screenText(outputs.lines(tab.key), emptyOutputNote(tab)));
  const renderBanner = () => banner.update(tabs.ordered(), tabs.active());

  /** A tab was selected: the panel, the Clear button and the terminal now belong to it. */
  function show(tab: ProcessTab) {
    panel.setAttribute('aria-labelledby', tab.button.id);
    clear.setAttribute('aria-label', clearLabel(tab));
    replay(tab);
    renderBanner();
  }

  const all = tabs.add(ALL, 'all', 'All');
  const balancer = tabs.add('balancer', 'balancer', 'balancer');
  tabs.add('redis', 'redis', 'redis');
  tabs.select(all);

  const push = (tab: ProcessTab, text: string) => {
    outputs.push(tab.key, text);
    if (tab === tabs.active()) xterm.write(text);
    else tabs.noteOutput(tab);
  };

  // Output from a process the state has not announced yet gets a tab too (an instance, by its letter).
  const tabFor = (name: string): ProcessTab => tabs.get(name) ?? tabs.add(name, 'instance', name);

  // Output is batched per animation frame: a busy lab writes many lines at once, xterm likes few big writes.
  const pending = new BoundedQueue<LogLine>(MAX_LINES * 2);
  let flushFrame = 0;
  const flush = () => {
    flushFrame = 0;
    for (const line of pending.take()) {
      push(tabFor(line.name), ansiLine(line, false));
      push(all, ansiLine(line, true));
    }
  };
  const offLog = store.onLog((line) => {
    pending.add(line);
    flushFrame ||= requestAnimationFrame(flush);
  });

  const syncState = (state: LabState) => {
    const listed = listedProcesses(state);
    for (const p of listed) tabs.setState(tabs.get(p.key) ?? tabs.add(p.key, p.role, p.key), p.state, p.reason);
    // Instances removed by scaling down lose their tab.
    for (const tab of unlistedInstances(tabs.ordered(), listed)) {
      tabs.remove(tab);
      outputs.clear(tab.key);
      if (tabs.active() === tab) tabs.select(balancer);
    }
    renderBanner();
  };
  const offState = store.subscribe(syncState);

  clear.addEventListener('click', () => {
    const active = tabs.active();
    if (!active) return;
    outputs.clear(active.key);
    replay(active);
  });

  return {
    dispose() {
      offLog();
      offState();
      cancelAnimationFrame(flushFrame);
      xterm.dispose();
      root.remove();
    },
  };
};
