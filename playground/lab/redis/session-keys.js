// @ts-check
/**
 * Which Redis keys hold sessions, and whose: a key belongs to a virtual user when its name contains the session id
 * that user's cookie carries. Cheap enough for a summary every second: SCAN (never KEYS) over a bounded number of
 * keys, and TTLs for the shown sample only.
 */

/** At most this many keys are looked at per summary, however many Redis holds. */
export const MAX_KEYS_INSPECTED = 500;
/** At most this many session keys are shown. */
export const MAX_SAMPLE = 12;
/** Shorter cookie values are too common to say whose a key is ("1", "dark", an instance letter). */
export const MIN_TOKEN_CHARS = 8;
/** How many keys one SCAN call asks for. */
const SCAN_COUNT = 250;

/** @typedef {{ user: string, tokens: string[] }} SessionOwner  a virtual user and the session ids its cookies carry */
/** @typedef {import('../../protocol/lab-events.ts').SessionKey} SessionKey */

/**
 * The session ids a user's cookie values carry: each value URI-decoded, express-session's signed form
 * `s:<sid>.<signature>` reduced to `<sid>`, anything else taken whole; values shorter than MIN_TOKEN_CHARS dropped.
 * @param {Iterable<string>} values
 * @returns {string[]}
 */
export function sessionTokens(values) {
  /** @type {Set<string>} */
  const tokens = new Set();
  for (const value of values) {
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // not percent-encoded after all: taken as it is
    }
    const signed = /^s:([^.]+)\./.exec(decoded);
    const token = signed?.[1] ?? decoded;
    if (token.length >= MIN_TOKEN_CHARS) tokens.add(token);
  }
  return [...tokens];
}

/**
 * The session-like keys among `keys` with their owners: a key is session-like when it belongs to a user or its
 * name says so (/sess/i). Owners first, then by key.
 * @param {string[]} keys @param {SessionOwner[]} owners
 * @returns {{ key: string, user: string | null }[]}
 */
export function sessionLikeKeys(keys, owners) {
  const found = [];
  for (const key of keys) {
    const owner = owners.find((o) => o.tokens.some((token) => key.includes(token)));
    if (owner || /sess/i.test(key)) found.push({ key, user: owner?.user ?? null });
  }
  return found.sort((a, b) => Number(a.user === null) - Number(b.user === null) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The session keys Redis holds now: a sample of at most MAX_SAMPLE with their TTL in seconds (null: no expiry),
 * and how many session-like keys there are among the first MAX_KEYS_INSPECTED keys SCAN returns.
 * @param {import('ioredis').Redis} redis @param {SessionOwner[]} owners
 * @returns {Promise<{ sessions: SessionKey[], sessionCount: number }>}
 */
export async function readSessionKeys(redis, owners) {
  /** @type {string[]} */
  const keys = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    keys.push(...batch.slice(0, MAX_KEYS_INSPECTED - keys.length));
  } while (cursor !== '0' && keys.length < MAX_KEYS_INSPECTED);
  // SCAN may return a key twice while Redis rehashes.
  const found = sessionLikeKeys([...new Set(keys)], owners);
  const sample = found.slice(0, MAX_SAMPLE);
  const pipeline = redis.pipeline();
  for (const { key } of sample) pipeline.ttl(key);
  const ttls = sample.length ? ((await pipeline.exec()) ?? []) : [];
  /** @type {SessionKey[]} */
  const sessions = [];
  let gone = 0;
  for (const [i, { key, user }] of sample.entries()) {
    const [error, ttl] = ttls[i] ?? [null, null];
    if (error || typeof ttl !== 'number') continue;
    // -2: expired or deleted since the SCAN.
    if (ttl === -2) gone++;
    else sessions.push({ key, user, ttl: ttl === -1 ? null : ttl });
  }
  return { sessions, sessionCount: found.length - gone };
}
