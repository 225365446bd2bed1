/** Words for the Redis box's session keys: shortened keys and TTLs that count down between Redis summaries. */

/**
 * "sess:7f3c…": the prefix up to the last colon (or, without one, the last "-", "_", "/" or ".") and a few
 * characters of the id; short keys stay whole. The full key goes in a tooltip.
 */
export function shortKey(key: string, keep = 4): string {
  if (key.length <= 12) return key;
  const colon = key.lastIndexOf(':');
  const split = colon >= 0 ? colon : Math.max(...['-', '_', '/', '.'].map((c) => key.lastIndexOf(c)));
  const id = key.slice(split + 1);
  if (split >= 0 && split <= 24 && id.length > 0) return id.length <= keep + 1 ? key : `${key.slice(0, split + 1)}${id.slice(0, keep)}…`;
  return `${key.slice(0, 10)}…`;
}

/** Seconds left of a TTL reported `elapsedMs` ago (null: the key never expires). Never below 0. */
export function ttlLeft(ttl: number | null, elapsedMs: number): number | null {
  if (ttl === null) return null;
  return Math.max(0, Math.ceil(ttl - Math.max(0, elapsedMs) / 1000));
}

/** "expires in 29 s" / "expires in 12 min" / "expires in 23 h" / "expires in 3 days" / "no expiry". */
export function ttlWords(seconds: number | null): string {
  if (seconds === null) return 'no expiry';
  if (seconds <= 0) return 'expiring now';
  if (seconds < 60) return `expires in ${seconds} s`;
  if (seconds < 3600) return `expires in ${Math.floor(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `expires in ${Math.floor(seconds / 3600)} h`;
  return `expires in ${Math.floor(seconds / 86_400)} days`;
}

/** "+4 more" when Redis holds more session keys than the box lists. */
export function moreWords(shown: number, total: number | undefined): string {
  const more = (total ?? shown) - shown;
  return more > 0 ? `+${more} more` : '';
}
