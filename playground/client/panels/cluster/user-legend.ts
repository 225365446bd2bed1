/** Where request dots start: Alice, Bob and Carol (colour AND shape), anyone else, and the failure mark. */
import { el } from '../../dom.ts';
import { USERS } from '../users/user-status.ts';

export interface UserLegend {
  root: HTMLUListElement;
  /** The chip a user's dots leave from (undefined for anyone but Alice, Bob and Carol). */
  chip(user: string): HTMLElement | undefined;
}

export function userLegend(): UserLegend {
  const chips = new Map<string, HTMLElement>();
  const root = el(
    'ul',
    { class: 'pg-cv-users', 'aria-label': 'Request dots by user' },
    ...USERS.map((u) => {
      const chip = el('li', { class: 'pg-cv-user', style: `--user: var(${u.colorVar})` }, el('span', { class: `pg-shape pg-shape-${u.shape}`, 'aria-hidden': 'true' }), u.name);
      chips.set(u.id, chip);
      return chip;
    }),
    el('li', { class: 'pg-cv-user', style: '--user: var(--user-other)' }, el('span', { class: 'pg-shape pg-shape-diamond', 'aria-hidden': 'true' }), 'others'),
    el('li', { class: 'pg-cv-user pg-cv-user-fail' }, el('span', { class: 'pg-fail-mark', 'aria-hidden': 'true' }, '✕'), 'failed'),
  );
  return { root, chip: (user) => chips.get(user) };
}
