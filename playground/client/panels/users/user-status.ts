/**
 * Pure logic behind the users panel: who the virtual users are, how they look (colour AND shape, so colour is
 * never the only cue), and what a user's latest result says about their session.
 */
import type { UserResultView } from '../../session/lab-store.ts';

export type UserShape = 'circle' | 'square' | 'triangle' | 'diamond';

export interface UserLook {
  id: string;
  name: string;
  /** CSS custom property holding the user's colour (Okabe-Ito hues, tuned per theme in panels.css). */
  colorVar: string;
  shape: UserShape;
  /** Text glyph of the shape, for places that draw text rather than CSS shapes. */
  glyph: string;
}

export const USERS: readonly UserLook[] = [
  { id: 'alice', name: 'Alice', colorVar: '--user-alice', shape: 'circle', glyph: '●' },
  { id: 'bob', name: 'Bob', colorVar: '--user-bob', shape: 'square', glyph: '■' },
  { id: 'carol', name: 'Carol', colorVar: '--user-carol', shape: 'triangle', glyph: '▲' },
];

const OTHER: Omit<UserLook, 'id' | 'name'> = { colorVar: '--user-other', shape: 'diamond', glyph: '◆' };

/** Alice, Bob and Carol by id; anyone else (a check's user, anonymous requests) is grey diamonds. */
export function userLook(id: string | undefined | null): UserLook {
  const known = USERS.find((u) => u.id === id);
  if (known) return known;
  return { id: id ?? '', name: id ? displayName(id) : 'anonymous', ...OTHER };
}

export function displayName(id: string): string {
  return id ? id[0]!.toUpperCase() + id.slice(1) : 'anonymous';
}

export type Tone = 'ok' | 'neutral' | 'bad';

export interface UserStatus {
  kind: 'unknown' | 'logged-in' | 'logged-out' | 'not-logged-in' | 'error';
  /** Words shown next to the user, e.g. "logged in on A". */
  label: string;
  tone: Tone;
  /** Instance that answered last, if any. */
  instance: string | null;
}

export const INITIAL_STATUS: UserStatus = { kind: 'unknown', label: 'not logged in', tone: 'neutral', instance: null };

/** No answer, a 5xx or a transport error: the request failed, which says nothing about the session. */
export function failed(result: UserResultView): boolean {
  return result.status === 0 || result.status >= 500 || Boolean(result.error);
}

/**
 * Served as someone else: a login answered with another user's name, or a logged-in user's visit that named
 * another. A user who never logged in is not "mixed up" by an answer that names, say, a product ("name": "Teapot").
 */
export function isMixup(result: UserResultView): result is UserResultView & { mixup: string } {
  return Boolean(result.mixup) && (result.loggedOut || result.action === 'login');
}

/** What the "problems only" log keeps: unexpected logouts, mix-ups, failures and the logins they forced. */
export function isProblem(result: UserResultView): boolean {
  return result.loggedOut || isMixup(result) || failed(result) || isRelogin(result);
}

/** A login the lab marked as following an unexpected logout, and that worked: the user had to log in again. */
export function isRelogin(result: UserResultView): boolean {
  return result.relogin === true && result.action === 'login' && result.loggedIn && !failed(result);
}

function answerFrom(result: UserResultView): string {
  if (result.status === 0) return result.error ? `no answer: ${result.error}` : 'no answer';
  return `${result.status}${result.instance ? ` from ${result.instance}` : ' from the balancer'}`;
}

/** "logged out on B", with why when the answer was a 2xx: it named nobody, or someone else. */
function loggedOutLabel(result: UserResultView, instance: string | null): string {
  const on = instance ? ` on ${instance}` : '';
  if (result.mixup) return `answered as ${displayName(result.mixup)}${on}: session mix-up`;
  if (result.status >= 200 && result.status < 300) return `logged out${on} (the answer names nobody)`;
  return `logged out${on}`;
}

/**
 * A user's session state after `result`, given what was known before. Logged in means the app named this user
 * (the lab's judgement, `loggedIn`), never merely a 200.
 */
export function nextUserStatus(previous: UserStatus, result: UserResultView): UserStatus {
  const instance = result.instance ?? null;
  if (failed(result)) {
    return { kind: 'error', label: `${result.action} failed (${answerFrom(result)})`, tone: 'bad', instance };
  }
  switch (result.action) {
    case 'login':
      if (isMixup(result)) return { kind: 'error', label: `login answered as ${displayName(result.mixup)}: session mix-up`, tone: 'bad', instance };
      if (result.loggedIn) return { kind: 'logged-in', label: instance ? `logged in on ${instance}` : 'logged in', tone: 'ok', instance };
      return { kind: 'error', label: `login refused (${answerFrom(result)})`, tone: 'bad', instance };
    case 'visit':
      if (result.loggedOut) return { kind: 'logged-out', label: loggedOutLabel(result, instance), tone: 'bad', instance };
      if (result.loggedIn) return { kind: 'logged-in', label: instance ? `logged in on ${instance}` : 'logged in', tone: 'ok', instance };
      return { kind: 'not-logged-in', label: 'not logged in', tone: 'neutral', instance };
    case 'logout':
      if (result.status < 400) return { kind: 'not-logged-in', label: 'logged out (by choice)', tone: 'neutral', instance };
      return { kind: 'error', label: `logout failed (${answerFrom(result)})`, tone: 'bad', instance };
    default:
      return previous;
  }
}

/** A log row's tone: a user state's, or "again" for a forced re-login, which is neither fine nor a failure. */
export type LogTone = Tone | 'again';

export interface LogEntry {
  text: string;
  tone: LogTone;
  /** One word that carries the outcome without colour: ok, logged out, refused, failed. */
  word: string;
  icon: string;
}

/** One line of the users log: "Alice visit → B 401 logged out". */
export function describeResult(result: UserResultView): LogEntry {
  const who = displayName(result.user);
  const where = result.instance ?? 'balancer';
  const head = `${who} ${result.action} → ${where} ${result.status || '—'}`;
  if (isMixup(result)) return { text: head, tone: 'bad', word: `mix-up: answered as ${displayName(result.mixup)}`, icon: '✕' };
  if (result.loggedOut) return { text: head, tone: 'bad', word: result.status < 300 ? 'logged out (names nobody)' : 'logged out', icon: '✕' };
  if (result.status === 0 || result.error) return { text: `${head}${result.error ? ` ${result.error}` : ''}`, tone: 'bad', word: 'no answer', icon: '✕' };
  if (result.status >= 500) return { text: head, tone: 'bad', word: 'failed', icon: '✕' };
  if (result.status >= 400) {
    const word = result.action === 'visit' && result.status === 401 ? 'not logged in' : 'refused';
    return { text: head, tone: 'neutral', word, icon: '!' };
  }
  if (result.action === 'visit' && !result.loggedIn) return { text: head, tone: 'neutral', word: 'not logged in', icon: '!' };
  const word = result.loggedIn ? 'logged in' : result.action === 'logout' ? 'logged out (by choice)' : 'ok';
  return { text: head, tone: 'ok', word, icon: '✓' };
}

/**
 * The row for a forced re-login, as one sentence: "Alice logged in again on A after being logged out on B".
 * `loggedOutOn` is where the panel last saw this user logged out (null: not seen, e.g. the log was opened later).
 */
export function describeRelogin(result: UserResultView, loggedOutOn: string | null): LogEntry {
  const who = displayName(result.user);
  const on = result.instance ? ` on ${result.instance}` : '';
  const after = loggedOutOn ? `after being logged out on ${loggedOutOn}` : 'after an unexpected logout';
  return { text: `${who} logged in again${on} ${after}`, tone: 'again', word: 'logged in again', icon: '↻' };
}

/**
 * What a throttled live region should say about results that arrived since the last announcement: the result
 * itself when there is one, a count otherwise, naming unexpected logouts because those are the lesson.
 */
export function announcement(results: readonly UserResultView[]): string {
  if (results.length === 0) return '';
  if (results.length === 1) {
    const entry = describeResult(results[0]!);
    return `${entry.text} ${entry.word}`;
  }
  const loggedOut = results.filter((r) => r.loggedOut).length;
  const failures = results.filter((r) => !r.loggedOut && (r.status === 0 || r.status >= 500)).length;
  const again = results.filter(isRelogin).length;
  const parts = [`${results.length} new results`];
  if (loggedOut) parts.push(`${loggedOut} logged out`);
  if (again) parts.push(`${again} logged in again`);
  if (failures) parts.push(`${failures} failed`);
  return parts.join(', ');
}
