/**
 * The instance cards, keyed by name: a card is built once when its instance appears, updated in place, and
 * removed when the instance is gone. A removed card holding the focus hands it to the same button on its
 * neighbour (or to `fallbackFocus`, e.g. the scale control) first.
 */
import type { SendCommand } from '../../components.ts';
import type { InstanceView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { hasFocusWithin, rescueFocus } from './cluster-focus.ts';
import { instanceCard, type InstanceCard } from './instance-card.ts';
import type { InstanceKnowledge } from './instance-knowledge.ts';
import type { LogoutCounter } from './logout-counter.ts';

export interface InstanceListOptions {
  withActions: boolean;
  send: SendCommand;
  knowledge: InstanceKnowledge;
  logouts: LogoutCounter;
  changed(): void;
  fallbackFocus(): HTMLElement | null;
}

export interface InstanceList {
  root: HTMLUListElement;
  /** Cards in order, by instance name. */
  cards(): ReadonlyMap<string, InstanceCard>;
  update(instances: readonly InstanceView[], now: number): void;
  tick(now: number): void;
}

export function instanceList(options: InstanceListOptions): InstanceList {
  const { knowledge, logouts } = options;
  const root = el('ul', { class: 'pg-cv-instances', 'aria-label': 'Instances' });
  let cards = new Map<string, InstanceCard>();
  const knowledgeOf = (name: string) => (user: string) => knowledge.get(name, user);

  function remove(name: string, card: InstanceCard, order: readonly string[]): void {
    if (hasFocusWithin(card.root)) {
      const action = (card.root.ownerDocument.activeElement as HTMLElement | null)?.dataset.action ?? '';
      // The neighbour that stays: the previous card in the old order, else the next one.
      const names = [...cards.keys()];
      const at = names.indexOf(name);
      const staying = (n: string | undefined) => (n && order.includes(n) ? cards.get(n) : undefined);
      const neighbour = staying(names.slice(0, at).reverse().find((n) => order.includes(n))) ?? staying(names.slice(at + 1).find((n) => order.includes(n)));
      rescueFocus(card.root, neighbour?.button(action), neighbour?.button('stop'), options.fallbackFocus());
    }
    card.root.remove();
  }

  return {
    root,
    cards: () => cards,
    update(instances, now) {
      const order = instances.map((i) => i.name);
      for (const [name, card] of cards) if (!order.includes(name)) remove(name, card, order);
      const next = new Map<string, InstanceCard>();
      instances.forEach((view, index) => {
        const card = cards.get(view.name) ?? instanceCard({ name: view.name, withActions: options.withActions, send: options.send, changed: options.changed });
        next.set(view.name, card);
        // Moving a node that holds the focus would blur it: only nodes out of place move, and a focused card
        // never needs to (instances keep their names and order).
        if (root.children[index] !== card.root) root.insertBefore(card.root, root.children[index] ?? null);
        card.update(view, knowledgeOf(view.name), logouts.count(view.name, now), now);
      });
      cards = next;
    },
    tick(now) {
      for (const [name, card] of cards) card.tick(knowledgeOf(name), logouts.count(name, now), now);
    },
  };
}
