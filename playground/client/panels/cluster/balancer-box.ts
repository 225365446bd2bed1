/** The load balancer node: its strategy as it runs (from the store, not from the select) and its state. */
import type { LabState } from '../../session/lab-store.ts';
import type { Strategy } from '../../../lab/rules.js';
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { STRATEGY_SHORT, STRATEGY_WORDS } from './cluster-format.ts';
import { stateBadge } from './state-badge.ts';

export interface BalancerBox {
  root: HTMLElement;
  update(balancer: LabState['balancer']): void;
}

export function balancerBox(defaultStrategy: Strategy): BalancerBox {
  const badge = stateBadge();
  const strategy = el('span', { class: 'pg-cv-strategy' });
  const root = el('div', { class: 'pg-cv-node pg-cv-balancer' }, el('strong', {}, 'Load balancer'), strategy, badge.root);
  return {
    root,
    update(balancer) {
      badge.paint(balancer.state);
      const running = balancer.strategy ?? defaultStrategy;
      setText(strategy, STRATEGY_SHORT[running]);
      strategy.title = STRATEGY_WORDS[running];
    },
  };
}
