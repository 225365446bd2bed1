/**
 * The Redis node: where it runs and its state, the session keys it holds (shortened key, whose cookie points at
 * it, TTL counting down between summaries), and compact command counters with the newest commands.
 */
import type { RedisView, SessionKey } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { userLook } from '../users/user-status.ts';
import { redisTitle } from './cluster-format.ts';
import { moreWords, shortKey, ttlLeft, ttlWords } from './session-keys.ts';
import { stateBadge } from './state-badge.ts';

/** Session keys listed; the rest are counted in "+N more". */
export const SESSION_ROWS = 4;
const RECENT_ROWS = 8;

export interface RedisBox {
  root: HTMLElement;
  update(redis: RedisView, now: number): void;
  /** Once a second: the TTLs count down. */
  tick(now: number): void;
}

interface KeyRow {
  root: HTMLLIElement;
  ttl: HTMLElement;
}

function keyRow(session: SessionKey): KeyRow {
  const look = session.user ? userLook(session.user) : undefined;
  const ttl = el('span', { class: 'pg-redis-ttl' });
  const owner = look
    ? el(
        'span',
        { class: 'pg-redis-owner', style: `--user: var(${look.colorVar})` },
        el('span', { 'aria-hidden': 'true' }, '→ '),
        el('span', { class: `pg-shape pg-shape-${look.shape}`, 'aria-hidden': 'true' }),
        el('span', { class: 'visually-hidden' }, ', session of '),
        look.name,
        el('span', { class: 'visually-hidden' }, ','),
      )
    : el('span', { class: 'pg-redis-owner pg-muted', title: "No virtual user's cookie points at this key" }, el('span', { 'aria-hidden': 'true' }, '→ '), 'no user', el('span', { class: 'visually-hidden' }, "'s cookie,"));
  const root = el('li', { class: 'pg-redis-key' }, el('code', { title: session.key }, shortKey(session.key)), owner, ttl);
  return { root, ttl };
}

export function redisBox(): RedisBox {
  const badge = stateBadge();
  const title = el('strong', { class: 'pg-redis-title' }, 'Redis');
  const stats = el('span', { class: 'pg-redis-stats' });
  const reason = el('p', { class: 'pg-reason-line', hidden: '' });
  const keys = el('ul', { class: 'pg-redis-keys', 'aria-label': 'Session keys in Redis' });
  const more = el('p', { class: 'pg-redis-more', hidden: '' });
  const top = el('p', { class: 'pg-redis-top' });
  const recent = el('ol', { class: 'pg-redis-recent', reversed: '', 'aria-label': 'Recent Redis commands, newest first', tabindex: '0' });
  const root = el(
    'section',
    { class: 'pg-cv-node pg-cv-redis', 'aria-label': 'Redis' },
    el('div', { class: 'pg-cv-node-head pg-redis-head' }, title, stats, badge.root),
    reason,
    el(
      'div',
      { class: 'pg-redis-body' },
      el('div', { class: 'pg-redis-sessions' }, el('p', { class: 'pg-redis-sub' }, 'Session keys'), keys, more),
      el('div', { class: 'pg-redis-commands' }, top, recent),
    ),
  );

  let sessions: readonly SessionKey[] | undefined;
  let receivedAt = 0;
  let rows: KeyRow[] = [];
  let sessionsKey: string | undefined;
  let recentKey: string | undefined;

  function paintTtls(now: number): void {
    rows.forEach((row, i) => setText(row.ttl, ttlWords(ttlLeft(sessions![i]!.ttl, now - receivedAt))));
  }

  function paintSessions(redis: RedisView, now: number): void {
    if (redis.sessions !== sessions) {
      sessions = redis.sessions;
      receivedAt = now;
    }
    const shown = (sessions ?? []).slice(0, SESSION_ROWS);
    const key = sessions ? shown.map((s) => `${s.key}\u0000${s.user ?? ''}`).join('\n') : '\u0000none';
    if (key !== sessionsKey) {
      sessionsKey = key;
      rows = shown.map(keyRow);
      keys.replaceChildren(...(rows.length ? rows.map((r) => r.root) : [el('li', { class: 'pg-muted' }, sessions ? 'No session keys' : 'Not reported yet')]));
    }
    if (rows.length) paintTtls(now);
    const words = moreWords(shown.length, redis.sessionCount);
    more.hidden = !words;
    setText(more, words);
  }

  return {
    root,
    update(redis, now) {
      setText(title, redisTitle(redis.backend));
      badge.paint(redis.state);
      reason.hidden = !redis.reason || redis.state === 'up';
      setText(reason, redis.reason ? `✕ ${redis.reason}` : '');
      if (redis.total === undefined) setText(stats, redis.state === 'absent' ? 'Not started yet.' : 'No commands yet.');
      else setText(stats, `${redis.keys ?? '?'} key${redis.keys === 1 ? '' : 's'} · ${redis.total} command${redis.total === 1 ? '' : 's'} in total`);
      paintSessions(redis, now);
      const counters = Object.entries(redis.commands ?? {})
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([name, count]) => `${name} ${count}`)
        .join(' · ');
      setText(top, counters ? `Commands: ${counters}` : 'Commands: none yet');
      top.title = counters ? `Commands so far, most used first: ${counters}` : '';
      const newest = [...(redis.recent ?? [])].reverse().slice(0, RECENT_ROWS);
      const nextRecent = newest.join('\n');
      if (nextRecent !== recentKey) {
        recentKey = nextRecent;
        recent.replaceChildren(...(newest.length ? newest.map((c) => el('li', { title: c }, c)) : [el('li', { class: 'pg-muted' }, 'no commands yet')]));
      }
    },
    tick(now) {
      if (rows.length) paintTtls(now);
    },
  };
}
