// @ts-check
/**
 * How the balancer picks an instance for a request: one picker per strategy, apart from the proxying, so each can
 * be tested with plain objects. The sticky strategy's affinity cookie (read and set) lives here too.
 */

/** @typedef {import('./rules.js').Strategy} Strategy */
/** @typedef {{ name: string, inflight: number, sockets: number }} Candidate  what a picker reads of an instance */
/**
 * One strategy: picks one of `candidates` (never empty); `nextTurn` returns the rotation's turn and advances it.
 * @typedef {<B extends Candidate>(candidates: readonly B[], nextTurn: () => number, cookieHeader: string | undefined) => B} Picker
 */

/** The cookie the sticky strategy pins a client to an instance with. */
export const AFFINITY_COOKIE = 'lab_instance';

/** The item whose turn it is. @template T @param {readonly T[]} items (not empty) @param {() => number} nextTurn @returns {T} */
function inTurn(items, nextTurn) {
  return /** @type {T} */ (items[nextTurn() % items.length]);
}

/** @type {Picker} */
const roundRobin = (candidates, nextTurn) => inTurn(candidates, nextTurn);

/** @param {Candidate} b */
const load = (b) => b.inflight + b.sockets;

/** The fewest open requests and sockets; ties in turn. @type {Picker} */
const leastConnections = (candidates, nextTurn) => {
  const fewest = Math.min(...candidates.map(load));
  return inTurn(candidates.filter((b) => load(b) === fewest), nextTurn);
};

/** The instance the affinity cookie names; in turn without one (or when it names no candidate). @type {Picker} */
const sticky = (candidates, nextTurn, cookieHeader) => {
  const wanted = readCookie(cookieHeader, AFFINITY_COOKIE);
  return candidates.find((b) => b.name === wanted) ?? inTurn(candidates, nextTurn);
};

/** @type {Record<Strategy, Picker>} a strategy in STRATEGIES without a picker here is a type error */
const pickers = { 'round-robin': roundRobin, 'least-connections': leastConnections, sticky };
/** The picker of each strategy. */
export const PICKERS = Object.freeze(pickers);

/** A rotation (its turn) shared by all strategies, so a switch of strategy carries it on. */
export function createPicker() {
  let turn = 0;
  const nextTurn = () => turn++;
  return {
    /**
     * The instance `strategy` picks for a request with Cookie header `cookieHeader`; undefined when there is none.
     * @template {Candidate} B @param {Strategy} strategy @param {readonly B[]} candidates @param {string | undefined} cookieHeader
     * @returns {B | undefined}
     */
    pick(strategy, candidates, cookieHeader) {
      return candidates.length === 0 ? undefined : PICKERS[strategy](candidates, nextTurn, cookieHeader);
    },
    /** Start the rotation at a place `random` picks, so a seeded check does not always find the same order. @param {() => number} random */
    shuffle(random) {
      turn = Math.floor(random() * 1_000_000);
    },
  };
}

/**
 * The Set-Cookie value pinning the client to `instance`, under the sticky strategy when the request's cookie does
 * not already name it; undefined otherwise.
 * @param {Strategy} strategy @param {string | undefined} cookieHeader @param {string} instance
 */
export function affinitySetCookie(strategy, cookieHeader, instance) {
  if (strategy !== 'sticky' || readCookie(cookieHeader, AFFINITY_COOKIE) === instance) return undefined;
  return `${AFFINITY_COOKIE}=${instance}; Path=/; HttpOnly; SameSite=Lax`;
}

/** @param {string | undefined} header @param {string} name */
export function readCookie(header, name) {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return safeDecode(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A malformed %-escape (anyone can send one) reads as the raw text rather than throwing. @param {string} text */
function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
