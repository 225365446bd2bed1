/** The state badge of the balancer, an instance or Redis: icon + word, colour only reinforces. */
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { stateLook } from './cluster-format.ts';

export interface StateBadge {
  root: HTMLElement;
  paint(state: Parameters<typeof stateLook>[0]): void;
}

export function stateBadge(): StateBadge {
  const icon = el('span', { class: 'pg-state-icon', 'aria-hidden': 'true' });
  const word = el('span', { class: 'pg-state-word' });
  const root = el('span', { class: 'pg-state' }, icon, word);
  return {
    root,
    paint(state) {
      const look = stateLook(state);
      root.dataset.tone = look.tone;
      setText(icon, look.icon);
      setText(word, look.word);
    },
  };
}
