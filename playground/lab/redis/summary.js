// @ts-check
/**
 * What the periodic `redis` summary asks Redis itself: how many keys it holds, and which of them hold virtual users'
 * sessions. Neither may hold the summary up: an answer that is slow to come is left out of this summary, and a
 * question still unanswered is not asked again on top of it.
 */
import { readSessionKeys } from './session-keys.js';

/** How long the summary waits for Redis before it goes out without the answer. */
export const SUMMARY_WAIT_MS = 400;

/**
 * @param {{ client: () => Promise<import('ioredis').Redis>, owners: () => import('./session-keys.js').SessionOwner[], waitMs?: number }} options
 */
export function createRedisSummary({ client, owners, waitMs = SUMMARY_WAIT_MS }) {
  const countKeys = bounded(async () => (await client()).dbsize(), waitMs);
  const findSessions = bounded(async () => readSessionKeys(await client(), owners()), waitMs);
  return {
    /** @returns {Promise<{ keys: number | null, sessions?: import('./session-keys.js').SessionKey[], sessionCount?: number }>} */
    async read() {
      const [keys, found] = await Promise.all([countKeys(), findSessions()]);
      return { keys: keys ?? null, ...(found ? { sessions: found.sessions, sessionCount: found.sessionCount } : {}) };
    },
  };
}

/**
 * `work` run at most once at a time, its answer given only when it comes within `waitMs` (undefined otherwise, or
 * when it fails, or while an earlier run is still going).
 * @template T @param {() => Promise<T>} work @param {number} waitMs
 * @returns {() => Promise<T | undefined>}
 */
function bounded(work, waitMs) {
  let running = false;
  return async () => {
    if (running) return undefined;
    running = true;
    const attempt = work().finally(() => {
      running = false;
    });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    try {
      return /** @type {T | undefined} */ (await Promise.race([attempt, late]));
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      // A late failure is nobody's business any more.
      attempt.catch(() => undefined);
    }
  };
}
