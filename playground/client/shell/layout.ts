/**
 * The playground's regions and which of them are on screen. Built around the lesson's moment (a user known to
 * one instance and unknown to the next), so the editor, the cluster and the users stay visible together:
 *
 * - wide (the playground at least WIDE_MIN px): the editor on the left, the cluster top right, and under it one of
 *   Users / Checks / Terminal, picked with a switch. Everything fits the pane's height; panels scroll inside.
 * - narrow (phones, or the lesson text beside it): one view at a time — Code, Cluster (the cluster with the
 *   users under it), Checks, Terminal — picked with a switch that stays at the top.
 */
import { el } from '../dom.ts';

export const WIDE_MIN = 880;

export type Layout = 'wide' | 'narrow';
export type RegionName = 'editor' | 'cluster' | 'users' | 'checks' | 'terminal';
export type WideView = 'users' | 'checks' | 'terminal';
export type NarrowView = 'code' | 'cluster' | 'checks' | 'terminal';

const WIDE_VIEWS: { view: WideView; label: string }[] = [
  { view: 'users', label: 'Users' },
  { view: 'checks', label: 'Checks' },
  { view: 'terminal', label: 'Terminal' },
];
const NARROW_VIEWS: { view: NarrowView; label: string }[] = [
  { view: 'code', label: 'Code' },
  { view: 'cluster', label: 'Cluster' },
  { view: 'checks', label: 'Checks' },
  { view: 'terminal', label: 'Terminal' },
];

/** The regions each view shows (narrow); in the wide layout the editor and the cluster are always shown. */
const NARROW_REGIONS: Record<NarrowView, RegionName[]> = {
  code: ['editor'],
  cluster: ['cluster', 'users'],
  checks: ['checks'],
  terminal: ['terminal'],
};

const REGION_TITLES: Record<RegionName, string> = { editor: 'Editor', cluster: 'Cluster', users: 'Users', checks: 'Checks', terminal: 'Terminal' };

export interface PlaygroundLayout {
  root: HTMLElement;
  /** Each region's content slot. */
  slots: Record<RegionName, HTMLElement>;
  regions: Record<RegionName, HTMLElement>;
  readonly layout: Layout;
  /** Bring a region on screen (switching views when it is not). */
  reveal(region: RegionName): void;
  /** Is this region on screen in the current layout and views? */
  shown(region: RegionName): boolean;
  dispose(): void;
}

let ids = 0;

function switcher<V extends string>(label: string, views: { view: V; label: string }[], controls: (view: V) => string, pick: (view: V) => void) {
  const buttons = views.map(({ view, label: text }) => {
    const button = el('button', { type: 'button', class: 'pg-view', 'data-view': view, 'aria-pressed': 'false', 'aria-controls': controls(view) }, text);
    button.addEventListener('click', () => pick(view));
    return button;
  });
  const node = el('div', { class: 'pg-views', role: 'group', 'aria-label': label }, ...buttons);
  const paint = (current: V) => {
    for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.view === current));
  };
  return { node, paint };
}

/**
 * `bar` (the toolbar and status) and `notices` go on top; `editorTools` above the editor. The root's
 * data-layout, data-wide-view and data-narrow-view attributes drive playground.css.
 */
export function createLayout(parts: { bar: HTMLElement; notices: HTMLElement; editorTools: HTMLElement }): PlaygroundLayout {
  const uid = `pg${++ids}`;
  const regionId = (name: RegionName) => `${uid}-${name}`;
  const slots = {} as Record<RegionName, HTMLElement>;
  const regions = {} as Record<RegionName, HTMLElement>;
  for (const name of Object.keys(REGION_TITLES) as RegionName[]) {
    slots[name] = el('div', { class: `pg-slot pg-${name}-slot` });
    const title = el('h2', { class: 'pg-title', id: `${regionId(name)}-title` }, REGION_TITLES[name]);
    regions[name] = el(
      'section',
      { class: `pg-region pg-${name}`, id: regionId(name), 'aria-labelledby': title.id },
      name === 'editor' ? el('div', { class: 'pg-region-head' }, title, parts.editorTools) : title,
      slots[name],
    );
  }
  slots.editor.append('Loading the editor…');

  let wideView: WideView = 'users';
  let narrowView: NarrowView = 'code';
  const wide = switcher('Show under the cluster', WIDE_VIEWS, (v) => regionId(v), (v) => pickWide(v));
  const narrow = switcher('Show', NARROW_VIEWS, (v) => NARROW_REGIONS[v].map(regionId).join(' '), (v) => pickNarrow(v));
  const work = el('div', { class: 'pg-work' }, wide.node, regions.users, regions.checks, regions.terminal);
  const grid = el('div', { class: 'pg-grid' }, regions.editor, regions.cluster, work);
  const root = el('div', { class: 'pg-root', 'data-layout': 'narrow' }, el('div', { class: 'pg-top' }, parts.bar, narrow.node), parts.notices, grid);

  const paint = () => {
    root.dataset.wideView = wideView;
    root.dataset.narrowView = narrowView;
    wide.paint(wideView);
    narrow.paint(narrowView);
  };
  // One choice, whichever switch made it: the other layout shows the same thing when the width changes.
  function pickWide(view: WideView): void {
    wideView = view;
    narrowView = view === 'users' ? 'cluster' : view;
    paint();
  }
  function pickNarrow(view: NarrowView): void {
    narrowView = view;
    if (view === 'checks' || view === 'terminal') wideView = view;
    if (view === 'cluster') wideView = 'users';
    paint();
    // The newly shown view starts at its top, under the sticky switch.
    root.closest<HTMLElement>('[data-playground]')?.scrollTo({ top: 0 });
  }
  paint();

  const observer = new ResizeObserver(() => {
    const next: Layout = root.clientWidth >= WIDE_MIN ? 'wide' : 'narrow';
    if (root.dataset.layout !== next) root.dataset.layout = next;
  });
  observer.observe(root);

  const shown = (region: RegionName): boolean => {
    if (root.dataset.layout === 'wide') return region === 'editor' || region === 'cluster' || region === wideView;
    return NARROW_REGIONS[narrowView].includes(region);
  };

  return {
    root,
    slots,
    regions,
    get layout() {
      return root.dataset.layout as Layout;
    },
    reveal(region) {
      if (shown(region)) return;
      if (region !== 'editor' && region !== 'cluster') wideView = region;
      narrowView = (Object.keys(NARROW_REGIONS) as NarrowView[]).find((v) => NARROW_REGIONS[v].includes(region))!;
      paint();
    },
    shown,
    dispose: () => observer.disconnect(),
  };
}
