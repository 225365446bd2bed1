/**
 * One instance's card: name and state, requests served, what it knows about each user, its recent unexpected
 * logouts, why it is down (a disclosure), and Stop / Start / Restart / Kill. Updated in place, never rebuilt, so
 * a focused button keeps its focus.
 */
import type { SendCommand } from '../../components.ts';
import type { InstanceView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { errorSlot, runInto, setText } from '../panel-ui.ts';
import { instanceActions, shortReason } from './cluster-format.ts';
import { onPress, rescueFocus, setAvailable } from './cluster-focus.ts';
import type { Knowledge } from './instance-knowledge.ts';
import { knowledgeLines } from './knowledge-lines.ts';
import { logoutShortWords, logoutWords } from './logout-counter.ts';
import { stateBadge } from './state-badge.ts';

export const INSTANCE_ACTIONS = [
  { action: 'stop', label: 'Stop' },
  { action: 'start', label: 'Start' },
  { action: 'restart', label: 'Restart' },
  { action: 'kill', label: 'Kill' },
] as const;

export type InstanceAction = (typeof INSTANCE_ACTIONS)[number]['action'];

export interface InstanceCardOptions {
  name: string;
  /** Whether the lesson offers the per-instance buttons. */
  withActions: boolean;
  send: SendCommand;
  /** A command started or finished: the view should render again. */
  changed(): void;
}

export interface InstanceCard {
  root: HTMLLIElement;
  /** The button for `action`, when the card has buttons. */
  button(action: string): HTMLButtonElement | undefined;
  update(view: InstanceView, knowledgeOf: (user: string) => Knowledge, logouts: number, now: number): void;
  /** Once a second: ages in the sentences, the logout count as it decays. */
  tick(knowledgeOf: (user: string) => Knowledge, logouts: number, now: number): void;
}

export function instanceCard({ name, withActions, send, changed }: InstanceCardOptions): InstanceCard {
  const badge = stateBadge();
  const served = el('span', { class: 'pg-inst-served' });
  const knowledge = knowledgeLines(name);
  const logoutsShort = el('span', { class: 'pg-inst-logouts-short', 'aria-hidden': 'true' });
  const logoutsText = el('span', { class: 'visually-hidden' });
  const logouts = el('p', { class: 'pg-inst-logouts', hidden: '' }, logoutsShort, logoutsText);
  const reasonShort = el('span', { class: 'pg-reason-short' });
  const reasonFull = el('p', { class: 'pg-reason-full' });
  const lastLines = el('pre', { class: 'pg-reason-lines' });
  const reason = el('details', { class: 'pg-inst-reason', hidden: '' }, el('summary', {}, reasonShort), reasonFull, lastLines);
  const slot = errorSlot(`Instance ${name}`);
  const buttons = new Map<string, HTMLButtonElement>();
  const pending = new Set<string>();
  let reasonKey = '';

  const root = el(
    'li',
    { class: 'pg-cv-node pg-inst', 'data-instance': name },
    el(
      'div',
      { class: 'pg-cv-node-head pg-inst-head' },
      el('strong', { class: 'pg-inst-name' }, el('span', { class: 'visually-hidden' }, 'Instance '), name),
      badge.root,
      served,
    ),
    knowledge.root,
    logouts,
    reason,
  );

  if (withActions) {
    const row = el('div', { class: 'pg-inst-actions', role: 'group', 'aria-label': `Instance ${name} controls` });
    for (const { action, label } of INSTANCE_ACTIONS) {
      const button = el('button', { type: 'button', class: 'pg-btn pg-btn-small', 'aria-label': `${label} instance ${name}`, 'data-action': action }, label);
      if (action === 'kill') button.title = `Kill instance ${name} at once (SIGKILL, like a crash)`;
      onPress(button, () => {
        pending.add(action);
        changed();
        void runInto(slot, () => send({ type: 'instance', action, name })).finally(() => {
          pending.delete(action);
          changed();
        });
      });
      buttons.set(action, button);
      row.append(button);
    }
    root.append(row);
  }
  root.append(slot.node);

  function paintLogouts(count: number): void {
    const words = logoutWords(count);
    logouts.hidden = !words;
    if (!words) return;
    const sentence = `${words}: ${name} answered ${count === 1 ? 'a logged-in user' : 'logged-in users'} as logged out.`;
    setText(logoutsShort, `✕ ${logoutShortWords(count)}`);
    setText(logoutsText, sentence);
    logouts.title = sentence;
  }

  function paintReason(view: InstanceView): void {
    const key = `${view.state}|${view.reason ?? ''}|${view.lastLines.join('\n')}`;
    if (key === reasonKey) return;
    reasonKey = key;
    const show = Boolean(view.reason) && view.state !== 'up' && view.state !== 'starting';
    if (!show) rescueFocus(reason, buttons.get('stop'), buttons.get('start'), ...buttons.values());
    reason.hidden = !show;
    if (!show) return;
    setText(reasonShort, shortReason(view.reason!, 90));
    reasonShort.title = view.reason!;
    setText(reasonFull, view.reason!);
    lastLines.hidden = view.lastLines.length === 0;
    setText(lastLines, view.lastLines.join('\n'));
  }

  return {
    root,
    button: (action) => buttons.get(action),
    update(view, knowledgeOf, logoutCount, now) {
      badge.paint(view.state);
      root.dataset.state = view.state;
      setText(served, `${view.served} served`);
      knowledge.update(knowledgeOf, now);
      paintLogouts(logoutCount);
      paintReason(view);
      const allowed = instanceActions(view.state);
      for (const [action, button] of buttons) {
        setAvailable(button, allowed[action as InstanceAction] && pending.size === 0);
        if (pending.has(action)) button.setAttribute('aria-busy', 'true');
        else button.removeAttribute('aria-busy');
      }
    },
    tick(knowledgeOf, logoutCount, now) {
      knowledge.update(knowledgeOf, now);
      paintLogouts(logoutCount);
    },
  };
}
