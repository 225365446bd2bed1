/**
 * The users log: the learner's results, newest last, sticking to the newest while the learner has not scrolled
 * up; forced re-logins as one sentence of their own; the checks' traffic in groups; a "problems only" filter; and
 * the last minute's summary while traffic runs. The log itself is not a live region (a busy lab would flood
 * screen readers): a separate status line announces at most every few seconds.
 */
import type { UserResultView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { createCheckGroups } from './check-groups.ts';
import type { CheckGroupTally } from './check-traffic.ts';
import { resultRow, sentenceRow } from './log-rows.ts';
import { announcement, describeRelogin, describeResult, isProblem, isRelogin } from './user-status.ts';

export const LOG_LIMIT = 200;
const ANNOUNCE_EVERY_MS = 3000;

const EMPTY = 'Results of Log in, Visit and Log out appear here.';
const EMPTY_PROBLEMS = 'No logouts, mix-ups or failures in the log.';

type Pending = { result: UserResultView; group?: CheckGroupTally } | { notice: string; t: number };

export interface UsersLog {
  node: HTMLElement;
  /** One of the learner's results. */
  add(result: UserResultView): void;
  /** A result of a graded check's traffic. */
  addCheck(result: UserResultView & { check: string }): void;
  /** A run of the checks began: its traffic gets new groups, and the log says what it did to the users. */
  beginChecks(notice: string): void;
  /** The last minute's summary ("" hides it). */
  renderSummary(text: string): void;
  dispose(): void;
}

export function createUsersLog(): UsersLog {
  const groups = createCheckGroups();
  const log = el('ol', { class: 'pg-log', 'aria-label': 'Results of user actions, newest last', tabindex: '0' });
  const empty = el('p', { class: 'pg-log-empty' }, EMPTY);
  const announcer = el('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const summary = el('p', { class: 'pg-log-summary', hidden: '' });
  const problems = el('button', { type: 'button', class: 'pg-btn pg-btn-small pg-btn-quiet', 'aria-pressed': 'false', title: 'Show only logouts, mix-ups, failures and re-logins' }, 'Problems only');
  const clear = el('button', { type: 'button', class: 'pg-btn pg-btn-small pg-btn-quiet' }, 'Clear log');
  const node = el(
    'div',
    { class: 'pg-users-log' },
    el('div', { class: 'pg-log-head' }, el('span', { class: 'pg-log-title' }, 'Log'), summary, el('span', { class: 'pg-log-tools' }, problems, clear)),
    empty,
    log,
    announcer,
  );

  /** Where each user was last seen logged out, for the re-login sentence. */
  const loggedOutOn = new Map<string, string>();
  let pending: Pending[] = [];
  let unannounced: UserResultView[] = [];
  let frame = 0;
  let lastAnnounce = 0;
  let announceTimer = 0;

  // Sticking to the newest row is the learner's choice, made by scrolling: a resize of the panel keeps it.
  const atBottom = () => log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  let stuck = true;
  /** Where the panel itself last scrolled to: its own scroll events say nothing about the learner's choice. */
  let ownTop = -1;
  const toNewest = () => {
    log.scrollTop = log.scrollHeight;
    ownTop = log.scrollTop;
  };
  log.addEventListener('scroll', () => {
    // Scroll events arrive a frame late: the panel may have shrunk meanwhile (a count appeared above the log).
    if (log.scrollTop === ownTop) return;
    stuck = atBottom();
  });
  const resized = new ResizeObserver(() => {
    if (stuck) toNewest();
  });
  resized.observe(log);
  const filtering = () => problems.getAttribute('aria-pressed') === 'true';

  const syncEmpty = () => {
    const shown = filtering() ? log.querySelector(':scope > [data-problem], :scope > [data-kind="notice"], :scope > .pg-log-group') : log.firstElementChild;
    empty.hidden = shown !== null;
    setText(empty, filtering() ? EMPTY_PROBLEMS : EMPTY);
  };

  const learnerRow = (result: UserResultView): HTMLLIElement => {
    let row: HTMLLIElement;
    if (isRelogin(result)) {
      const entry = describeRelogin(result, loggedOutOn.get(result.user) ?? null);
      row = sentenceRow({ text: entry.text, icon: entry.icon, tone: entry.tone, kind: 'again', user: result.user, t: result.t });
    } else row = resultRow(result, describeResult(result), 'pg-log-row');
    if (result.loggedOut) loggedOutOn.set(result.user, result.instance ?? 'the balancer');
    if (isProblem(result)) row.dataset.problem = '';
    return row;
  };

  const flush = () => {
    frame = 0;
    const batch = pending.slice(-LOG_LIMIT * 2);
    pending = [];
    const fragment = document.createDocumentFragment();
    for (const item of batch) {
      if ('notice' in item) fragment.append(sentenceRow({ text: item.notice, icon: 'ℹ', tone: 'neutral', kind: 'notice', t: item.t }));
      else if (item.group) {
        const group = groups.place(item.result, item.group);
        if (group) fragment.append(group);
      } else fragment.append(learnerRow(item.result));
    }
    log.append(fragment);
    groups.flush();
    while (log.childElementCount > LOG_LIMIT) log.firstElementChild!.remove();
    syncEmpty();
    if (stuck) toNewest();
  };

  const queue = (item: Pending) => {
    pending.push(item);
    if (pending.length > LOG_LIMIT * 4) pending = pending.slice(-LOG_LIMIT * 2);
    frame ||= requestAnimationFrame(flush);
  };

  const announce = () => {
    announceTimer = 0;
    if (unannounced.length === 0) return;
    lastAnnounce = Date.now();
    announcer.textContent = announcement(unannounced);
    unannounced = [];
  };

  problems.addEventListener('click', () => {
    problems.setAttribute('aria-pressed', String(!filtering()));
    log.dataset.filter = filtering() ? 'problems' : 'all';
    syncEmpty();
    stuck = true;
    toNewest();
  });
  clear.addEventListener('click', () => {
    log.replaceChildren();
    syncEmpty();
  });

  return {
    node,
    add(result) {
      queue({ result });
      unannounced.push(result);
      if (unannounced.length > 500) unannounced = unannounced.slice(-500);
      announceTimer ||= window.setTimeout(announce, Math.max(300, lastAnnounce + ANNOUNCE_EVERY_MS - Date.now()));
    },
    addCheck(result) {
      queue({ result, group: groups.count(result) });
    },
    beginChecks(notice) {
      // Results still queued belong to the run before: place them first.
      if (frame) {
        cancelAnimationFrame(frame);
        flush();
      }
      groups.begin();
      queue({ notice, t: Date.now() });
    },
    renderSummary(text) {
      setText(summary, text);
      summary.hidden = text === '';
    },
    dispose() {
      resized.disconnect();
      cancelAnimationFrame(frame);
      clearTimeout(announceTimer);
      node.remove();
    },
  };
}
