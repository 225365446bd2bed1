// @ts-check
/**
 * What the parts of the check API share while they build one `lab` object, and `define`, the way each part adds
 * its members to it.
 */

/**
 * @typedef {object} CheckContext
 * @property {import('../check-api.js').LabControls} controls  what the supervisor lets a check see and do
 * @property {AbortSignal} signal  aborted once the check is over (finished or timed out)
 * @property {string | undefined} check  the name of the check this `lab` serves: it labels every request the check sends
 * @property {number} seed  the seed of `random`
 * @property {() => number} random  the check's seeded random numbers
 * @property {import('../check-api.js').CheckApi} api  the `lab` object being built; a part reaches the others through it
 * @property {(cleanup: () => void | Promise<void>) => void} onDispose  run when the check ends, the last registered first
 */

/**
 * Add a part's members to the api, getters included (assigning would read a getter once, now).
 * @param {import('../check-api.js').CheckApi} api @param {Partial<import('../check-api.js').CheckApi>} members
 */
export function define(api, members) {
  Object.defineProperties(api, Object.getOwnPropertyDescriptors(members));
}
