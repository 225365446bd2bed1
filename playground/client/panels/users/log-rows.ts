/** The rows of the users log, as DOM: a result ("Alice visit → B 401 ✕ logged out") or one sentence. */
import type { UserResultView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { userLook, type LogEntry, type LogTone } from './user-status.ts';

function clock(t: number): string {
  return new Date(t || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * A result in columns: who, what, where and the status, then the outcome in a word, then the time. `asOther`: a
 * check's user, drawn grey whatever its name, since it is not the learner's Alice, Bob or Carol.
 */
export function resultRow(result: UserResultView, entry: LogEntry, className: string, asOther = false): HTMLLIElement {
  const look = userLook(asOther ? null : result.user);
  return el(
    'li',
    { class: className, 'data-tone': entry.tone, style: `--user: var(${look.colorVar})` },
    el('span', { class: `pg-shape pg-shape-${look.shape}`, 'aria-hidden': 'true' }),
    el('span', { class: 'pg-log-text' }, entry.text),
    el('span', { class: 'pg-log-word' }, el('span', { 'aria-hidden': 'true' }, `${entry.icon} `), entry.word),
    el('time', { class: 'pg-log-time' }, clock(result.t)),
  );
}

/** A row that is one sentence (a forced re-login, a notice), wrapping rather than cut. */
export function sentenceRow(options: { text: string; icon: string; tone: LogTone; kind: string; user?: string; t?: number }): HTMLLIElement {
  const look = userLook(options.user);
  return el(
    'li',
    { class: 'pg-log-row', 'data-kind': options.kind, 'data-tone': options.tone, style: options.user ? `--user: var(${look.colorVar})` : undefined },
    options.user ? el('span', { class: `pg-shape pg-shape-${look.shape}`, 'aria-hidden': 'true' }) : el('span', { 'aria-hidden': 'true' }),
    el('span', { class: 'pg-log-sentence' }, el('span', { class: 'pg-log-icon', 'aria-hidden': 'true' }, `${options.icon} `), options.text),
    el('time', { class: 'pg-log-time' }, clock(options.t ?? 0)),
  );
}
