// @ts-check
/**
 * One-time tags on the lab's own requests, redeemed by the balancer: who sent a request and which instance must
 * serve it. The tag never reaches the app.
 */
import { randomUUID } from 'node:crypto';

/**
 * How the balancer learns who sent a request without the app learning anything. A virtual user's request carries
 * a one-time tag; the balancer looks it up in this table (which lives in the supervisor, next to the users) and
 * removes the header before forwarding. A tag nobody issued means nothing, so a forged header earns no one a name.
 */
export const TAG_HEADER = 'x-lab-tag';

/** @typedef {{ user?: string, instance?: string }} RequestTag  who sent it; the instance a check wants it served by */

/** @type {Map<string, RequestTag>} */
const issued = new Map();

/** @param {RequestTag} tag @returns {string} the header value */
export function issueTag(tag) {
  const token = randomUUID();
  issued.set(token, tag);
  return token;
}

/** The tag behind a header value, once; undefined for anything not issued here. @param {string | string[] | undefined} value */
export function redeemTag(value) {
  const token = Array.isArray(value) ? value[0] : value;
  if (!token) return undefined;
  const tag = issued.get(token);
  issued.delete(token);
  return tag;
}

/** Forget a tag whose request never reached the balancer. @param {string} token */
export function dropTag(token) {
  issued.delete(token);
}

/** Headers the lab uses for itself, never forwarded to an instance. @param {string} name lower-case */
export function isLabHeader(name) {
  return name.startsWith('x-lab-') || name === 'x-served-by';
}
