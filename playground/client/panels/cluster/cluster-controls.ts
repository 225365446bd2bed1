/**
 * The cluster's own controls, as the lesson offers them: scale (− N +), rolling deploy and the balancing
 * strategy. Each shows its command's readable error next to it. Buttons stay focusable while unavailable.
 */
import type { ClusterViewOptions } from '../../components.ts';
import type { LabState } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { errorSlot, runInto, setText } from '../panel-ui.ts';
import { isStrategy, MAX_INSTANCES, MIN_INSTANCES } from '../../../lab/rules.js';
import { STRATEGY_WORDS } from './cluster-format.ts';
import { onPress, setAvailable } from './cluster-focus.ts';

export interface ClusterControls {
  /** Null when the lesson offers none of them. */
  root: HTMLElement | null;
  update(state: LabState): void;
  /** Where focus goes when the control it was on disappears (an instance card removed by scaling down). */
  focusTarget(): HTMLElement | null;
}

export function clusterControls(options: ClusterViewOptions, current: () => LabState, changed: () => void): ClusterControls {
  const { send, lab } = options;
  const offered = new Set(lab.controls);
  const root = el('div', { class: 'pg-cv-controls' });
  const updates: ((state: LabState) => void)[] = [];
  let focusTarget: HTMLElement | null = null;

  if (offered.has('scale')) {
    const remove = el('button', { type: 'button', class: 'pg-btn pg-btn-small', 'aria-label': 'Remove instance' }, el('span', { 'aria-hidden': 'true' }, '−'), ' Remove');
    const add = el('button', { type: 'button', class: 'pg-btn pg-btn-small', 'aria-label': 'Add instance' }, el('span', { 'aria-hidden': 'true' }, '+'), ' Add');
    const count = el('span', { class: 'pg-cv-count', role: 'status' });
    const slot = errorSlot('Scaling');
    let pending = false;
    const scaleBy = (delta: number) => {
      const n = current().instances.length + delta;
      if (n < MIN_INSTANCES || n > MAX_INSTANCES) return;
      pending = true;
      changed();
      void runInto(slot, () => send({ type: 'scale', instances: n })).finally(() => {
        pending = false;
        changed();
      });
    };
    onPress(remove, () => scaleBy(-1));
    onPress(add, () => scaleBy(1));
    focusTarget = remove;
    root.append(el('div', { class: 'pg-cv-group', role: 'group', 'aria-label': 'Number of instances' }, remove, count, add, slot.node));
    updates.push((state) => {
      const n = state.instances.length;
      setText(count, pending ? 'scaling…' : `${n} instance${n === 1 ? '' : 's'}`);
      setAvailable(remove, !pending && n > MIN_INSTANCES);
      setAvailable(add, !pending && n > 0 && n < MAX_INSTANCES);
    });
  }

  if (offered.has('deploy')) {
    const button = el('button', { type: 'button', class: 'pg-btn pg-btn-small' }, 'Rolling deploy');
    button.title = 'Save the editor’s files and roll them out one instance at a time';
    const status = el('span', { class: 'pg-cv-deploy-status', role: 'status' });
    const slot = errorSlot('Deploy');
    let pending = false;
    onPress(button, () => {
      pending = true;
      changed();
      void runInto(slot, () => options.deploy()).finally(() => {
        pending = false;
        changed();
      });
    });
    focusTarget ??= button;
    root.append(el('div', { class: 'pg-cv-group' }, button, status, slot.node));
    updates.push((state) => {
      const busy = state.deploying || pending;
      setAvailable(button, !busy && state.instances.length > 0);
      setText(status, busy ? 'deploying…' : '');
      button.setAttribute('aria-busy', String(busy));
    });
  }

  if (offered.has('strategy')) {
    const strategies = lab.strategies ?? [lab.strategy];
    const select = el('select', { class: 'pg-select pg-select-small', id: `pg-strategy-${Math.random().toString(36).slice(2, 8)}` });
    for (const s of strategies) select.append(el('option', { value: s }, STRATEGY_WORDS[s]));
    select.value = lab.strategy;
    const slot = errorSlot('Strategy');
    // Not disabled while the command runs (that would drop the focus): a newer choice simply follows it.
    let pending = 0;
    select.addEventListener('change', () => {
      const wanted = select.value;
      if (!isStrategy(wanted)) return;
      pending++;
      select.setAttribute('aria-busy', 'true');
      void runInto(slot, () => send({ type: 'strategy', strategy: wanted })).then((ok) => {
        pending--;
        if (pending === 0) select.removeAttribute('aria-busy');
        if (!ok && pending === 0) select.value = current().balancer.strategy ?? lab.strategy;
      });
    });
    focusTarget ??= select;
    root.append(el('div', { class: 'pg-cv-group' }, el('label', { for: select.id }, 'Balancing'), select, slot.node));
    updates.push((state) => {
      const running = state.balancer.strategy;
      if (pending === 0 && running && select.value !== running) select.value = running;
    });
  }

  return {
    root: root.childElementCount ? root : null,
    update(state) {
      for (const update of updates) update(state);
    },
    focusTarget: () => focusTarget,
  };
}
