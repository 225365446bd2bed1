/**
 * The cluster view: users → balancer → instances → Redis, with requests travelling as dots (coloured AND shaped
 * by user), per-instance controls, cluster controls, the Redis box and a small requests-per-instance chart.
 *
 * The store updates its state on every request (served counters), so rendering is coalesced into one animation
 * frame and only touches text that changed.
 */
import type { ClusterViewOptions, Disposable, MountClusterView } from '../../components.ts';
import type { InstanceView, LabState, LabStore, RequestView } from '../../session/lab-store.ts';
import { DotSampler } from './cluster-dots.ts';
import {
  instanceActions,
  redisTitle,
  shortReason,
  stateLook,
  STRATEGY_WORDS,
} from './cluster-format.ts';
import { addPanelStyles, errorSlot, runInto, setText } from '../panel-ui.ts';
import { el } from '../../dom.ts';
import { chartMax, chartRows, chartSummary, drawSparkline, FAILED_ROW, RequestBuckets } from './request-chart.ts';
import { USERS, userLook } from '../users/user-status.ts';
import { isStrategy, MAX_INSTANCES, MIN_INSTANCES } from '../../../lab/rules.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const ACTIONS = [
  { action: 'stop', label: 'Stop' },
  { action: 'start', label: 'Start' },
  { action: 'restart', label: 'Restart' },
  { action: 'kill', label: 'Kill' },
] as const;

type Slot = ReturnType<typeof errorSlot>;

interface InstanceBox {
  root: HTMLLIElement;
  state: HTMLElement;
  stateIcon: HTMLElement;
  stateWord: HTMLElement;
  served: HTMLElement;
  reason: HTMLDetailsElement;
  reasonShort: HTMLElement;
  reasonFull: HTMLElement;
  lastLines: HTMLPreElement;
  buttons: Map<string, HTMLButtonElement>;
  pending: Set<string>;
  slot: Slot;
  key: string;
}

function stateBadge(): { root: HTMLElement; icon: HTMLElement; word: HTMLElement } {
  const icon = el('span', { class: 'pg-state-icon', 'aria-hidden': 'true' });
  const word = el('span', { class: 'pg-state-word' });
  return { root: el('span', { class: 'pg-state' }, icon, word), icon, word };
}

function paintState(badge: { root: HTMLElement; icon: HTMLElement; word: HTMLElement }, state: Parameters<typeof stateLook>[0]): void {
  const look = stateLook(state);
  badge.root.dataset.tone = look.tone;
  setText(badge.icon, look.icon);
  setText(badge.word, look.word);
}

export const mountClusterView: MountClusterView = (element: HTMLElement, store: LabStore, options: ClusterViewOptions): Disposable => {
  addPanelStyles();
  const { send, lab } = options;
  const controls = new Set(lab.controls);
  const cleanups: (() => void)[] = [];

  // ---- cluster controls ----
  const toolbar = el('div', { class: 'pg-cv-controls' });
  let scaleBox: { count: HTMLElement; remove: HTMLButtonElement; add: HTMLButtonElement; slot: Slot; pending: boolean } | undefined;
  if (controls.has('scale')) {
    const remove = el('button', { type: 'button', class: 'pg-btn', 'aria-label': 'Remove instance' }, el('span', { 'aria-hidden': 'true' }, '−'), ' Remove');
    const add = el('button', { type: 'button', class: 'pg-btn', 'aria-label': 'Add instance' }, el('span', { 'aria-hidden': 'true' }, '+'), ' Add');
    const count = el('span', { class: 'pg-cv-count', role: 'status' });
    const slot = errorSlot('Scaling');
    scaleBox = { count, remove, add, slot, pending: false };
    const scaleBy = (delta: number) => {
      const box = scaleBox!;
      const n = store.state.instances.length + delta;
      if (n < MIN_INSTANCES || n > MAX_INSTANCES) return;
      box.pending = true;
      schedule();
      void runInto(slot, () => send({ type: 'scale', instances: n })).finally(() => {
        box.pending = false;
        schedule();
      });
    };
    remove.addEventListener('click', () => scaleBy(-1));
    add.addEventListener('click', () => scaleBy(1));
    toolbar.append(el('div', { class: 'pg-cv-group', role: 'group', 'aria-label': 'Number of instances' }, remove, count, add, slot.node));
  }
  let deployBox: { button: HTMLButtonElement; status: HTMLElement; slot: Slot; pending: boolean } | undefined;
  if (controls.has('deploy')) {
    const button = el('button', { type: 'button', class: 'pg-btn' }, 'Rolling deploy');
    const status = el('span', { class: 'pg-cv-deploy-status', role: 'status' });
    const slot = errorSlot('Deploy');
    deployBox = { button, status, slot, pending: false };
    button.addEventListener('click', () => {
      const box = deployBox!;
      box.pending = true;
      schedule();
      void runInto(slot, () => send({ type: 'deploy' })).finally(() => {
        box.pending = false;
        schedule();
      });
    });
    toolbar.append(el('div', { class: 'pg-cv-group' }, button, status, slot.node));
  }
  let strategyBox: { select: HTMLSelectElement; slot: Slot } | undefined;
  if (controls.has('strategy')) {
    const strategies = lab.strategies ?? [lab.strategy];
    const select = el('select', { class: 'pg-select', id: `pg-strategy-${Math.random().toString(36).slice(2, 8)}` });
    for (const s of strategies) select.append(el('option', { value: s }, STRATEGY_WORDS[s]));
    select.value = lab.strategy;
    const slot = errorSlot('Strategy');
    strategyBox = { select, slot };
    select.addEventListener('change', () => {
      const wanted = select.value;
      if (!isStrategy(wanted)) return;
      select.disabled = true;
      void runInto(slot, () => send({ type: 'strategy', strategy: wanted })).then((ok) => {
        select.disabled = false;
        if (!ok) select.value = store.state.balancer.strategy ?? lab.strategy;
      });
    });
    toolbar.append(el('div', { class: 'pg-cv-group' }, el('label', { for: select.id }, 'Balancing'), select, slot.node));
  }

  // ---- diagram ----
  const links = document.createElementNS(SVG_NS, 'svg');
  links.setAttribute('class', 'pg-cv-links');
  links.setAttribute('aria-hidden', 'true');
  links.setAttribute('focusable', 'false');

  const legendChips = new Map<string, HTMLElement>();
  const legend = el(
    'ul',
    { class: 'pg-cv-users', 'aria-label': 'Request dots by user' },
    ...USERS.map((u) => {
      const chip = el('li', { class: 'pg-cv-user', style: `--user: var(${u.colorVar})` }, el('span', { class: `pg-shape pg-shape-${u.shape}`, 'aria-hidden': 'true' }), u.name);
      legendChips.set(u.id, chip);
      return chip;
    }),
    el('li', { class: 'pg-cv-user', style: '--user: var(--user-other)' }, el('span', { class: 'pg-shape pg-shape-diamond', 'aria-hidden': 'true' }), 'others'),
    el('li', { class: 'pg-cv-user pg-cv-user-fail' }, el('span', { class: 'pg-fail-mark', 'aria-hidden': 'true' }, '✕'), 'failed'),
  );

  const balancerBadge = stateBadge();
  const balancerStrategy = el('span', { class: 'pg-cv-strategy' });
  const balancer = el(
    'div',
    { class: 'pg-cv-node pg-cv-balancer' },
    el('strong', {}, 'Load balancer'),
    balancerStrategy,
    balancerBadge.root,
  );

  const idle = el('p', { class: 'pg-cv-idle' }, 'No instances running. Press Run to start the cluster.');
  const instanceList = el('ul', { class: 'pg-cv-instances', 'aria-label': 'Instances' });

  const redisBadge = stateBadge();
  const redisTitleNode = el('strong', { class: 'pg-redis-title' }, 'Redis');
  const redisStats = el('p', { class: 'pg-redis-stats' });
  const redisTop = el('p', { class: 'pg-redis-top' });
  const redisReason = el('p', { class: 'pg-reason-line', hidden: '' });
  const redisRecent = el('ol', { class: 'pg-redis-recent', reversed: '', 'aria-label': 'Recent Redis commands, newest first' });
  const redis = el(
    'section',
    { class: 'pg-cv-node pg-cv-redis', 'aria-label': 'Redis' },
    el('div', { class: 'pg-cv-node-head' }, redisTitleNode, redisBadge.root),
    redisReason,
    redisStats,
    redisTop,
    el('p', { class: 'pg-redis-recent-title' }, 'Recent commands'),
    redisRecent,
  );

  const dots = el('div', { class: 'pg-cv-dots', 'aria-hidden': 'true' });
  const diagram = el('div', { class: 'pg-cv-diagram' }, links, legend, balancer, idle, instanceList, redis, dots);

  // ---- chart ----
  const buckets = new RequestBuckets(60);
  const chartRowsBox = el('div', { class: 'pg-chart-rows', 'aria-hidden': 'true' });
  const chartText = el('p', { class: 'visually-hidden' });
  const sampleNote = el('p', { class: 'pg-chart-note' });
  const chart = el(
    'figure',
    { class: 'pg-chart' },
    el('figcaption', {}, el('span', {}, 'Requests per instance, last 60 s'), el('span', { class: 'pg-chart-col', 'aria-hidden': 'true' }, 'last 10 s')),
    chartRowsBox,
    chartText,
    sampleNote,
  );

  const root = el('div', { class: 'pg-cv' }, toolbar.childElementCount ? toolbar : null, diagram, chart);
  element.append(root);

  // ---- instances ----
  const boxes = new Map<string, InstanceBox>();

  function buildInstance(name: string): InstanceBox {
    const badge = stateBadge();
    const served = el('span', { class: 'pg-inst-served' });
    const reasonShort = el('span', { class: 'pg-reason-short' });
    const reasonFull = el('p', { class: 'pg-reason-full' });
    const lastLines = el('pre', { class: 'pg-reason-lines' });
    const reason = el('details', { class: 'pg-inst-reason', hidden: '' }, el('summary', {}, reasonShort), reasonFull, lastLines);
    const slot = errorSlot(`Instance ${name}`);
    const buttons = new Map<string, HTMLButtonElement>();
    const box: InstanceBox = {
      root: el('li', { class: 'pg-cv-node pg-inst', 'data-instance': name }),
      state: badge.root,
      stateIcon: badge.icon,
      stateWord: badge.word,
      served,
      reason,
      reasonShort,
      reasonFull,
      lastLines,
      buttons,
      pending: new Set(),
      slot,
      key: '',
    };
    const actionsRow = el('div', { class: 'pg-inst-actions', role: 'group', 'aria-label': `Instance ${name} controls` });
    if (controls.has('instances')) {
      for (const { action, label } of ACTIONS) {
        const button = el('button', { type: 'button', class: 'pg-btn pg-btn-small', 'aria-label': `${label} instance ${name}`, 'data-action': action }, label);
        if (action === 'kill') button.title = `Kill instance ${name} at once (SIGKILL, like a crash)`;
        button.addEventListener('click', () => {
          box.pending.add(action);
          schedule();
          void runInto(slot, () => send({ type: 'instance', action, name })).finally(() => {
            box.pending.delete(action);
            schedule();
          });
        });
        buttons.set(action, button);
        actionsRow.append(button);
      }
    }
    box.root.append(
      el('div', { class: 'pg-cv-node-head' }, el('strong', { class: 'pg-inst-name' }, el('span', { class: 'visually-hidden' }, 'Instance '), name), badge.root),
      served,
      reason,
      slot.node,
    );
    if (buttons.size) slot.node.before(actionsRow);
    return box;
  }

  function paintInstance(box: InstanceBox, view: InstanceView): void {
    paintState({ root: box.state, icon: box.stateIcon, word: box.stateWord }, view.state);
    box.root.dataset.state = view.state;
    setText(box.served, `${view.served} served`);
    const key = `${view.state}|${view.reason ?? ''}|${view.lastLines.join('\n')}`;
    if (key !== box.key) {
      box.key = key;
      const showReason = Boolean(view.reason) && view.state !== 'up' && view.state !== 'starting';
      box.reason.hidden = !showReason;
      if (showReason) {
        setText(box.reasonShort, shortReason(view.reason!, 90));
        box.reasonShort.title = view.reason!;
        setText(box.reasonFull, view.reason!);
        box.lastLines.hidden = view.lastLines.length === 0;
        setText(box.lastLines, view.lastLines.join('\n'));
      }
    }
    const allowed = instanceActions(view.state);
    for (const [action, button] of box.buttons) {
      button.disabled = !allowed[action as keyof typeof allowed] || box.pending.size > 0;
      if (box.pending.has(action)) button.setAttribute('aria-busy', 'true');
      else button.removeAttribute('aria-busy');
    }
  }

  // ---- rendering ----
  let frame = 0;
  let linksKey = '';
  function schedule(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      render(store.state);
    });
  }

  function render(state: LabState): void {
    // Balancer
    paintState(balancerBadge, state.balancer.state);
    const strategy = state.balancer.strategy ?? lab.strategy;
    setText(balancerStrategy, STRATEGY_WORDS[strategy]);
    if (strategyBox && !strategyBox.select.disabled && state.balancer.strategy && strategyBox.select.value !== state.balancer.strategy) {
      strategyBox.select.value = state.balancer.strategy;
    }

    // Instances
    const names = state.instances.map((i) => i.name);
    for (const [name, box] of boxes) {
      if (!names.includes(name)) {
        box.root.remove();
        boxes.delete(name);
      }
    }
    state.instances.forEach((view, index) => {
      let box = boxes.get(view.name);
      if (!box) {
        box = buildInstance(view.name);
        boxes.set(view.name, box);
      }
      if (instanceList.children[index] !== box.root) instanceList.insertBefore(box.root, instanceList.children[index] ?? null);
      paintInstance(box, view);
    });
    idle.hidden = state.instances.length > 0;
    instanceList.hidden = state.instances.length === 0;

    // Controls
    const n = state.instances.length;
    if (scaleBox) {
      setText(scaleBox.count, scaleBox.pending ? 'scaling…' : `${n} instance${n === 1 ? '' : 's'}`);
      scaleBox.remove.disabled = scaleBox.pending || n <= MIN_INSTANCES;
      scaleBox.add.disabled = scaleBox.pending || n === 0 || n >= MAX_INSTANCES;
    }
    if (deployBox) {
      const busy = state.deploying || deployBox.pending;
      deployBox.button.disabled = busy || n === 0;
      setText(deployBox.status, busy ? 'deploying…' : '');
      deployBox.button.setAttribute('aria-busy', String(busy));
    }

    // Redis
    const r = state.redis;
    setText(redisTitleNode, redisTitle(r.backend));
    paintState(redisBadge, r.state);
    redisReason.hidden = !r.reason || r.state === 'up';
    setText(redisReason, r.reason ? `✕ ${r.reason}` : '');
    if (r.total === undefined) setText(redisStats, r.state === 'absent' ? 'Not started yet.' : 'No commands yet.');
    else setText(redisStats, `${r.keys ?? '?'} key${r.keys === 1 ? '' : 's'} · ${r.total} command${r.total === 1 ? '' : 's'} in total`);
    const top = Object.entries(r.commands ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([name, count]) => `${name} ${count}`)
      .join(' · ');
    setText(redisTop, top);
    redisTop.hidden = !top;
    const recent = [...(r.recent ?? [])].reverse().slice(0, 8);
    const recentKey = recent.join('\n');
    if (redisRecent.dataset.key !== recentKey) {
      redisRecent.dataset.key = recentKey;
      redisRecent.replaceChildren(...(recent.length ? recent.map((c) => el('li', {}, c)) : [el('li', { class: 'pg-muted' }, 'none yet')]));
    }

    const newLinksKey = `${names.join(',')}|${diagram.clientWidth}`;
    if (newLinksKey !== linksKey) {
      linksKey = newLinksKey;
      drawLinks();
    }
  }

  // ---- links and dots ----
  function centre(node: Element, where: 'top' | 'bottom' | 'middle'): { x: number; y: number } {
    const box = diagram.getBoundingClientRect();
    const r = node.getBoundingClientRect();
    const y = where === 'top' ? r.top : where === 'bottom' ? r.bottom : r.top + r.height / 2;
    return { x: r.left + r.width / 2 - box.left, y: y - box.top };
  }

  function drawLinks(): void {
    const w = diagram.clientWidth;
    const h = diagram.clientHeight;
    links.setAttribute('viewBox', `0 0 ${w} ${h}`);
    links.setAttribute('width', String(w));
    links.setAttribute('height', String(h));
    links.replaceChildren();
    const line = (a: { x: number; y: number }, b: { x: number; y: number }, cls: string) => {
      const l = document.createElementNS(SVG_NS, 'line');
      l.setAttribute('x1', String(a.x));
      l.setAttribute('y1', String(a.y));
      l.setAttribute('x2', String(b.x));
      l.setAttribute('y2', String(b.y));
      l.setAttribute('class', cls);
      links.append(l);
    };
    const from = centre(balancer, 'bottom');
    line(centre(legend, 'bottom'), centre(balancer, 'top'), 'pg-link');
    const redisTopPoint = centre(redis, 'top');
    const shown = [...boxes.values()].filter((box) => box.root.isConnected && !instanceList.hidden);
    if (shown.length === 0) {
      line(from, redisTopPoint, 'pg-link pg-link-redis');
      return;
    }
    const tops = new Set(shown.map((box) => Math.round(box.root.getBoundingClientRect().top)));
    if (tops.size === 1) {
      // One row: a link to each instance, and from each to Redis.
      for (const box of shown) {
        line(from, centre(box.root, 'top'), 'pg-link');
        line(centre(box.root, 'bottom'), redisTopPoint, 'pg-link pg-link-redis');
      }
    } else {
      // Wrapped rows: links would cross other boxes, so one link into the group and one out of it.
      line(from, centre(instanceList, 'top'), 'pg-link');
      line(centre(instanceList, 'bottom'), redisTopPoint, 'pg-link pg-link-redis');
    }
  }

  const sampler = new DotSampler();
  const reduced = matchMedia('(prefers-reduced-motion: reduce)');
  const flashTimers = new Map<Element, number>();

  function flash(node: Element, cls: string): void {
    node.classList.add(cls);
    clearTimeout(flashTimers.get(node));
    flashTimers.set(node, window.setTimeout(() => node.classList.remove(cls), 350));
  }

  let chartSoon = 0;
  function onRequest(request: RequestView): void {
    const now = Date.now();
    buckets.add(request.instance, now);
    // The chart slides once a second; a request also redraws it soon, so a click shows up at once.
    if (!chartSoon) chartSoon = window.setTimeout(() => renderChart(), 200);
    const failed = !request.instance || request.status === 0 || request.status >= 400;
    const target = request.instance ? boxes.get(request.instance) : undefined;
    if (document.hidden) return;
    const named = USERS.some((u) => u.id === request.user);
    if (!sampler.admit(now, failed || named)) return;
    if (reduced.matches) {
      // No travel: a brief highlight of whoever answered (or the balancer, for a failure).
      flash(target ? target.root : balancer, failed ? 'pg-hit-fail' : 'pg-hit');
      setTimeout(() => sampler.release(), 350);
      return;
    }
    launchDot(request, target?.root, failed);
  }

  function launchDot(request: RequestView, target: HTMLElement | undefined, failed: boolean): void {
    const look = userLook(request.user);
    const chip = legendChips.get(look.id);
    const start = chip ? centre(chip, 'bottom') : centre(legend, 'bottom');
    const mid = centre(balancer, 'middle');
    const dot = el('span', { class: `pg-dot pg-shape pg-shape-${look.shape}`, style: `--user: var(${look.colorVar})` });
    dots.append(dot);
    const jitter = () => (Math.random() - 0.5) * 18;
    const at = (p: { x: number; y: number }) => `translate(${p.x.toFixed(1)}px, ${p.y.toFixed(1)}px) translate(-50%, -50%)`;
    const frames: Keyframe[] = [{ transform: at(start), opacity: 1 }];
    let duration = failed && target ? 1100 : 900;
    if (target && request.instance) {
      const end = centre(target, 'top');
      end.x += jitter();
      end.y += 10;
      const arrive = failed ? 0.75 : 0.95;
      frames.push({ transform: at(mid), offset: 0.4 }, { transform: at(end), opacity: 1, offset: arrive }, { transform: at(end), opacity: failed ? 1 : 0, offset: failed ? 0.9 : 1 });
      if (failed) frames.push({ transform: at(end), opacity: 0 });
    } else {
      // Failed at the balancer: the dot stops there and turns into a cross.
      duration = 1100;
      frames.push({ transform: at(mid), offset: 0.4, opacity: 1 }, { transform: at(mid), opacity: 0 });
      setTimeout(() => {
        if (!dot.isConnected) return;
        dot.className = 'pg-dot pg-dot-fail';
        dot.textContent = '✕';
      }, duration * 0.4);
    }
    if (failed && target) {
      // Reached an instance that refused it (401, 500…): the dot turns into a cross there.
      setTimeout(() => {
        if (!dot.isConnected) return;
        dot.className = 'pg-dot pg-dot-fail';
        dot.textContent = '✕';
      }, duration * 0.8);
    }
    const animation = dot.animate(frames, { duration, easing: 'ease-in-out', fill: 'forwards' });
    const done = () => {
      dot.remove();
      sampler.release();
    };
    animation.onfinish = done;
    animation.oncancel = done;
  }

  // ---- chart ----
  const chartBoxes = new Map<string, { row: HTMLElement; svg: SVGSVGElement; total: HTMLElement }>();
  function renderChart(): void {
    clearTimeout(chartSoon);
    chartSoon = 0;
    const now = Date.now();
    buckets.prune(now);
    const rows = chartRows(buckets, store.state.instances.map((i) => i.name), now);
    const max = chartMax(buckets, rows, now);
    for (const [key, box] of chartBoxes) {
      if (!rows.includes(key)) {
        box.row.remove();
        chartBoxes.delete(key);
      }
    }
    rows.forEach((key, index) => {
      let box = chartBoxes.get(key);
      if (!box) {
        const svg = document.createElementNS(SVG_NS, 'svg');
        svg.setAttribute('class', 'pg-spark');
        const total = el('span', { class: 'pg-chart-total' });
        const row = el('div', { class: `pg-chart-row${key === FAILED_ROW ? ' pg-chart-failed' : ''}` }, el('span', { class: 'pg-chart-label' }, key === FAILED_ROW ? '✕ failed' : key), svg, total);
        box = { row, svg, total };
        chartBoxes.set(key, box);
      }
      if (chartRowsBox.children[index] !== box.row) chartRowsBox.insertBefore(box.row, chartRowsBox.children[index] ?? null);
      drawSparkline(box.svg, buckets.series(key, now), max);
      setText(box.total, String(buckets.total(key, now, 10)));
    });
    setText(chartText, `Requests per instance, ${chartSummary(buckets, rows, now, 10)}.`);
  }

  /** Once a second: slide the chart and say whether dots are a sample. */
  function tick(): void {
    renderChart();
    const { seen, drawn } = sampler.rate();
    sampleNote.hidden = seen <= drawn + 2;
    if (!sampleNote.hidden) setText(sampleNote, `Busy: ${drawn} of ${seen} requests in the last second drawn as dots.`);
  }

  // ---- wiring ----
  cleanups.push(store.subscribe(() => schedule()));
  cleanups.push(store.onRequest(onRequest));
  const chartTimer = window.setInterval(tick, 1000);
  cleanups.push(() => clearInterval(chartTimer));
  tick();
  const resize = new ResizeObserver(() => {
    linksKey = '';
    schedule();
  });
  resize.observe(diagram);
  cleanups.push(() => resize.disconnect());

  return {
    dispose() {
      for (const cleanup of cleanups) cleanup();
      cancelAnimationFrame(frame);
      clearTimeout(chartSoon);
      for (const timer of flashTimers.values()) clearTimeout(timer);
      root.remove();
    },
  };
};
