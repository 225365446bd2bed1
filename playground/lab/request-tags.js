// @ts-check
/**
 * Tags on the lab's own requests, redeemed by the balancer: who sent a request, for which graded check, and which
 * instance must serve it. The tag never reaches the app.
 */
import { randomUUID } from 'node:crypto';

/**
 * How the balancer learns who sent a request without the app learning anything. A virtual user's request carries
 * a one-time tag; the balancer looks it up in this table (which lives in the supervisor, next to the users) and
 * removes the header before forwarding. A tag nobody issued means nothing, so a forged header earns no one a name.
 */
export const TAG_HEADER = 'x-lab-tag';

/**
 * @typedef {object} RequestTag
 * @property {string} [user]      the virtual user who sent it
 * @property {string} [instance]  the instance a check wants it served by
 * @property {string} [check]     the graded check whose traffic it is (absent: the learner's own)
 */

/** @type {Map<string, RequestTag>} */
const issued = new Map();
/** Tokens that stay valid until dropped: a client that sends many requests with one fixed header (socket.io). */
const standing = new Set();

/** @param {RequestTag} tag @returns {string} the header value, good for one request */
export function issueTag(tag) {
  const token = randomUUID();
  issued.set(token, tag);
  return token;
}

/**
 * A tag for every request of one client that cannot change its headers from one request to the next (a socket.io
 * client's polls and upgrades). It is redeemed any number of times until `dropTag`; the app never sees it either.
 * @param {RequestTag} tag @returns {string} the header value
 */
export function issueStandingTag(tag) {
  const token = issueTag(tag);
  standing.add(token);
  return token;
}

/** The tag behind a header value (a one-time tag only once); undefined for anything not issued here. @param {string | string[] | undefined} value */
export function redeemTag(value) {
  const token = Array.isArray(value) ? value[0] : value;
  if (!token) return undefined;
  const tag = issued.get(token);
  if (!standing.has(token)) issued.delete(token);
  return tag;
}

/** Forget a tag: a one-time one whose request never reached the balancer, or a standing one whose client is done. @param {string} token */
export function dropTag(token) {
  issued.delete(token);
  standing.delete(token);
}

/** Headers the lab uses for itself, never forwarded to an instance. @param {string} name lower-case */
export function isLabHeader(name) {
  return name.startsWith('x-lab-') || name === 'x-served-by';
}
