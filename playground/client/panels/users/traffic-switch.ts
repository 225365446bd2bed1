/** The "Steady traffic" switch: shows the lab's traffic state, and the learner's choice while it is being sent. */
import type { SendCommand } from '../../components.ts';
import { el } from '../../dom.ts';
import { errorSlot, runInto, setText } from '../panel-ui.ts';

export const TRAFFIC_RPS = 5;

export interface TrafficSwitch {
  node: HTMLElement;
  /** The lab's traffic state; ignored while a switch command is on its way. */
  render(on: boolean): void;
  dispose(): void;
}

export function createTrafficSwitch(send: SendCommand): TrafficSwitch {
  const word = el('span', { class: 'pg-switch-word', 'aria-hidden': 'true' });
  const button = el(
    'button',
    { type: 'button', role: 'switch', class: 'pg-switch', 'aria-checked': 'false', title: `Virtual users visit, ${TRAFFIC_RPS} requests per second, logging in again when logged out` },
    el('span', { class: 'pg-switch-track', 'aria-hidden': 'true' }, el('span', { class: 'pg-switch-thumb' })),
    // Short on screen ("5/s", so the lesson's actions fit beside it), in words for screen readers.
    el('span', {}, 'Steady traffic ', el('span', { 'aria-hidden': 'true' }, `${TRAFFIC_RPS}/s`), el('span', { class: 'visually-hidden' }, `, ${TRAFFIC_RPS} requests per second`)),
    word,
  );
  const slot = errorSlot('Steady traffic');
  let pending = false;
  let labState = false;

  const paint = (on: boolean) => {
    button.setAttribute('aria-checked', String(on));
    setText(word, on ? 'on' : 'off');
  };
  paint(false);

  button.addEventListener('click', () => {
    const on = button.getAttribute('aria-checked') !== 'true';
    pending = true;
    paint(on);
    void runInto(slot, () => send({ type: 'traffic', on, rps: TRAFFIC_RPS })).finally(() => {
      pending = false;
      paint(labState);
    });
  });

  const node = el('div', { class: 'pg-users-traffic' }, button, slot.node);
  return {
    node,
    render(on) {
      labState = on;
      if (!pending) paint(on);
    },
    dispose() {
      node.remove();
    },
  };
}
