/**
 * Check results: the lesson's checks listed as pending while they run ("2 of 4"), each result with an icon and a
 * word, the first failure opened with its message, and an overall line that says plainly when everything passed.
 */
import css from './checks.css?inline';
import type { ChecksPanelOptions, Disposable, MountChecksPanel } from '../../components.ts';
import type { CheckResult, ChecksView, LabStore } from '../../session/lab-store.ts';
import { addPanelStyles, errorSlot, runInto, setText } from '../panel-ui.ts';
import { addStyles, el } from '../../dom.ts';

const LOOK = {
  pass: { icon: '✓', word: 'passed' },
  fail: { icon: '✕', word: 'failed' },
  error: { icon: '!', word: 'error' },
  running: { icon: '◌', word: 'running' },
  pending: { icon: '○', word: 'pending' },
} as const;

type RowStatus = keyof typeof LOOK;

/** The overall line for a checks view; exported for tests and for the shell's toolbar if it wants it. */
export function checksHeadline(checks: ChecksView): { text: string; tone: 'ok' | 'bad' | 'busy' | 'neutral' } {
  const total = checks.names.length;
  const done = checks.results.length;
  if (checks.running) return { text: total ? `Running checks: ${done} of ${total} done…` : 'Starting checks…', tone: 'busy' };
  if (checks.error) return { text: `The checks could not run: ${checks.error}`, tone: 'bad' };
  if (!checks.status) return { text: 'Not checked yet. Run the checks when your code is ready.', tone: 'neutral' };
  const passed = checks.results.filter((r) => r.status === 'pass').length;
  const count = checks.results.length || total;
  if (checks.status === 'pass') return { text: `All ${count} check${count === 1 ? '' : 's'} passed. Well done: this lesson is complete.`, tone: 'ok' };
  const errors = checks.results.filter((r) => r.status === 'error').length;
  const failed = checks.results.filter((r) => r.status === 'fail').length;
  const parts = [`${passed} of ${count} passed`];
  if (failed) parts.push(`${failed} failed`);
  if (errors) parts.push(`${errors} could not run`);
  return { text: `${parts.join(', ')}.`, tone: 'bad' };
}

export const mountChecksPanel: MountChecksPanel = (element: HTMLElement, store: LabStore, options: ChecksPanelOptions): Disposable => {
  addPanelStyles();
  addStyles('checks', css);
  const headlineIcon = el('span', { class: 'pg-checks-icon', 'aria-hidden': 'true' });
  const headlineText = el('span', {});
  const headline = el('p', { class: 'pg-checks-headline', role: 'status' }, headlineIcon, headlineText);
  const button = el('button', { type: 'button', class: 'pg-btn pg-btn-primary' }, 'Run checks');
  const slot = errorSlot('Checks');
  const list = el('ol', { class: 'pg-checks-list', 'aria-label': 'Checks' });
  const root = el('div', { class: 'pg-checkspanel' }, el('div', { class: 'pg-checks-head' }, headline, button), slot.node, list);
  element.append(root);

  let pending = false;
  button.addEventListener('click', () => {
    pending = true;
    render(store.state.checks);
    void runInto(slot, () => options.runChecks()).finally(() => {
      pending = false;
      render(store.state.checks);
    });
  });

  let key = '';
  /** Which failure details the learner toggled, so re-renders during a run keep their choice. */
  const toggled = new Map<string, boolean>();
  let lastRunNames = '';

  function row(name: string, status: RowStatus, result: CheckResult | undefined, open: boolean): HTMLElement {
    const look = LOOK[status];
    const head = [
      el('span', { class: 'pg-check-icon', 'aria-hidden': 'true' }, look.icon),
      el('span', { class: 'pg-check-name' }, name),
      el('span', { class: 'pg-check-word' }, look.word),
      result && result.ms ? el('span', { class: 'pg-check-ms' }, `${(result.ms / 1000).toFixed(1)} s`) : null,
    ];
    if (result && result.message && result.status !== 'pass') {
      const details = el('details', { class: 'pg-check-details' }, el('summary', {}, ...head), el('p', { class: 'pg-check-message' }, result.message), rerun(name, result));
      details.open = toggled.get(name) ?? open;
      details.addEventListener('toggle', () => toggled.set(name, details.open));
      return el('li', { class: 'pg-check', 'data-status': status }, details);
    }
    return el('li', { class: 'pg-check', 'data-status': status }, el('div', { class: 'pg-check-summary' }, ...head), result?.message && result.status === 'pass' ? el('p', { class: 'pg-check-message pg-muted' }, result.message) : null);
  }

  /** How to see the failure again: the seed that replays the check, and the request that showed it. */
  function rerun(name: string, result: CheckResult): HTMLElement | null {
    if (result.seed === undefined && !result.reproduce) return null;
    const command = `npm run check -- ${options.slug} --seed ${result.seed} --only ${JSON.stringify(name)}`;
    return el(
      'div',
      { class: 'pg-check-rerun' },
      result.seed !== undefined ? el('p', {}, `Seed ${result.seed}: the same seed makes the same random choices. From a clone of the course: `, el('code', {}, command)) : null,
      result.reproduce
        ? el('p', {}, `The request that showed it${result.reproduce.instance ? ` (answered by ${result.reproduce.instance})` : ''}, against `, el('code', {}, `npm run lab -- ${options.slug}`), ': ', el('code', {}, result.reproduce.curl))
        : null,
    );
  }

  function render(checks: ChecksView): void {
    const line = checksHeadline(checks);
    setText(headlineText, line.text);
    headline.dataset.tone = line.tone;
    setText(headlineIcon, line.tone === 'ok' ? '✓' : line.tone === 'bad' ? '✕' : line.tone === 'busy' ? '◌' : '○');
    root.dataset.status = checks.running ? 'running' : (checks.status ?? 'none');
    button.disabled = pending || checks.running;
    setText(button, checks.running ? 'Checking…' : 'Run checks');

    const names = checks.names.length ? checks.names : checks.results.map((r) => r.name);
    if (names.join('\n') !== lastRunNames || (checks.running && checks.results.length === 0)) {
      lastRunNames = names.join('\n');
      if (checks.running) toggled.clear();
    }
    const nextKey = JSON.stringify([checks.running, names, checks.results.map((r) => [r.name, r.status, r.message])]);
    if (nextKey === key) return;
    key = nextKey;
    let firstFailure = true;
    const items = names.map((name, index) => {
      const result = checks.results.find((r) => r.name === name) ?? checks.results[index];
      if (result && result.name === name) {
        const open = result.status !== 'pass' && firstFailure;
        if (result.status !== 'pass') firstFailure = false;
        return row(name, result.status, result, open);
      }
      const running = checks.running && index === checks.results.length;
      return row(name, running ? 'running' : 'pending', undefined, false);
    });
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
  }

  // Only check events replace state.checks; other updates (requests, instance states) need no re-render.
  let shown: ChecksView | undefined;
  const unsubscribe = store.subscribe((state) => {
    if (state.checks === shown) return;
    shown = state.checks;
    render(state.checks);
  });
  return {
    dispose() {
      unsubscribe();
      root.remove();
    },
  };
};
