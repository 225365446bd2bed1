// @ts-check
/**
 * Who an answer says the caller is. The lab judges a virtual user the way production would: by whom the server
 * names, not by the status code. A user is logged in only when `/me` answers 2xx with a JSON body holding a string
 * value equal to their name (`{"user":"alice"}`, `{"userId":"alice"}`, `{"me":{"name":"alice"}}`). Naming someone
 * else is a session mix-up; naming nobody (`{"userId":null}`) is not being logged in.
 */

/** Keys whose string value is a person, so a value under them that is not the caller names someone else. */
const IDENTITY_KEY = /^(user|username|user_?id|userid|name|login|who|email|account|owner|sub|me)$/i;
const MAX_DEPTH = 4;

/**
 * The body as JSON when it is JSON, whatever its content-type says (`res.end(JSON.stringify(…))` sends none).
 * @param {{ json: unknown, body: string }} response
 */
export function bodyJson(response) {
  if (response.json !== undefined) return response.json;
  const text = response.body.trim();
  if (!text.startsWith('{') && !text.startsWith('[') && !text.startsWith('"')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * @param {unknown} value @param {number} depth
 * @param {{ key: string | null, value: string }[]} out
 */
function collectStrings(value, depth, out, key = /** @type {string | null} */ (null)) {
  if (typeof value === 'string') out.push({ key, value });
  else if (depth < MAX_DEPTH && Array.isArray(value)) for (const item of value) collectStrings(item, depth + 1, out, key);
  else if (depth < MAX_DEPTH && value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectStrings(v, depth + 1, out, k);
  }
  return out;
}

/**
 * Whom a JSON body names: `self` when any string in it equals `self`; otherwise the first string under an
 * identity key (user, name, userId…) or equal to another known user; otherwise null (it names nobody).
 * @param {unknown} json @param {string} self @param {Iterable<string>} [others]
 * @returns {string | null}
 */
export function namedIn(json, self, others = []) {
  const strings = collectStrings(json, 0, []);
  if (strings.some((s) => s.value === self)) return self;
  const known = new Set(others);
  known.delete(self);
  const other = strings.find((s) => known.has(s.value)) ?? strings.find((s) => s.key !== null && IDENTITY_KEY.test(s.key) && s.value.trim() !== '');
  return other ? other.value : null;
}

/** @param {number} status */
export const isSuccess = (status) => status >= 200 && status < 300;

/** @param {number} status  the answers that mean "you are not logged in" */
export const isDenied = (status) => status === 401 || status === 403;
