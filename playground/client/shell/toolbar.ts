/**
 * The playground's top bar: the lab's actions (Run, Stop, Check, Reset, Solution, Shortcuts) and the status line,
 * and how they look for a given state of the lab.
 */
import { el } from '../dom.ts';
import type { LabState } from '../session/lab-store.ts';
import { describeStatus } from '../session/status-text.ts';
import { MOD } from '../shortcuts.ts';

export function button(label: string, attributes: Record<string, string> = {}): HTMLButtonElement {
  return el('button', { type: 'button', class: 'pg-button', ...attributes }, label);
}

export interface Toolbar {
  bar: HTMLElement;
  run: HTMLButtonElement;
  stop: HTMLButtonElement;
  check: HTMLButtonElement;
  reset: HTMLButtonElement;
  solution: HTMLButtonElement;
  keys: HTMLButtonElement;
  reconnect: HTMLButtonElement;
  useHost: HTMLButtonElement;
  /** Paint the buttons and the status line for this state; `offerHost`: a failed sandbox may switch to the lab host. */
  paint(state: LabState, offerHost: boolean): void;
}

export function createToolbar(): Toolbar {
  const run = button('Run', { class: 'pg-button pg-primary', 'aria-keyshortcuts': 'Control+Enter', title: `Run the cluster (${MOD}+Enter)` });
  const stop = button('Stop', { title: 'Stop every instance' });
  const check = button('Check', { 'aria-keyshortcuts': 'Control+Shift+Enter', title: `Run the graded checks (${MOD}+Shift+Enter)` });
  const reset = button('Reset', { title: 'Back to the starter files (can be undone)' });
  const solution = button('Solution', { 'aria-haspopup': 'dialog', title: 'Compare your code with the solution', 'aria-label': 'Show solution' });
  const keys = button('Shortcuts', { class: 'pg-button pg-quiet pg-keys-button', 'aria-haspopup': 'dialog', 'aria-keyshortcuts': 'Shift+?', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts' });
  const toolbar = el('div', { class: 'pg-toolbar', role: 'toolbar', 'aria-label': 'Lab actions' }, run, stop, check, reset, solution, keys);
  const statusText = el('span', { class: 'pg-status-text' });
  const reconnect = button('Reconnect', { hidden: '' });
  const useHost = button('Use the lab host', { hidden: '' });
  const status = el('div', { class: 'pg-status' }, el('p', { role: 'status', class: 'pg-status-line' }, statusText), reconnect, useHost);
  const bar = el('div', { class: 'pg-bar' }, toolbar, status);

  return {
    bar,
    run,
    stop,
    check,
    reset,
    solution,
    keys,
    reconnect,
    useHost,
    paint(state, offerHost) {
      statusText.textContent = describeStatus(state);
      status.dataset.tone = statusTone(state);
      reconnect.hidden = state.phase.name !== 'lost';
      useHost.hidden = !(state.phase.name === 'failed' && offerHost);
      bar.closest('.pg-root')?.toggleAttribute('data-busy', state.phase.name === 'connecting' || state.phase.name === 'starting');
      run.textContent = state.instances.length > 0 ? 'Restart' : 'Run';
      unavailable(stop, state.instances.every((i) => i.state === 'stopped' || i.state === 'crashed'));
      unavailable(check, state.checks.running);
    },
  };
}

/**
 * A button that cannot act now but keeps the focus: `disabled` would drop the focus of the learner who just pressed
 * it (Stop, Check) to the page. Its handler checks `isUnavailable`.
 */
function unavailable(button: HTMLButtonElement, yes: boolean): void {
  if (yes) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
}

export function isUnavailable(button: HTMLButtonElement): boolean {
  return button.getAttribute('aria-disabled') === 'true';
}

/** The status line's look: a problem reads as one. */
export function statusTone(state: LabState): 'ok' | 'busy' | 'bad' | 'idle' {
  const { phase, instances } = state;
  if (phase.name === 'lost' || phase.name === 'failed') return 'bad';
  if (phase.name === 'connecting' || phase.name === 'starting') return 'busy';
  if (phase.name !== 'running' || instances.length === 0) return 'idle';
  return instances.some((i) => i.state === 'crashed' || i.state === 'unhealthy') || !instances.some((i) => i.state === 'up') ? 'bad' : 'ok';
}
