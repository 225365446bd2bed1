// @ts-check
/**
 * The rules several layers share (engine, schema, CLI, UI), exported once. Dependency-free so any of them can
 * import it.
 */

/** The balancing strategies the lab's balancer knows, in the order the UI offers them. */
export const STRATEGIES = /** @type {const} */ (['round-robin', 'least-connections', 'sticky']);
/** @typedef {typeof STRATEGIES[number]} Strategy */

/** The fewest instances a cluster runs. */
export const MIN_INSTANCES = 1;
/** The most instances a cluster runs. */
export const MAX_INSTANCES = 10;

/** The paths a lesson's virtual users call unless the lesson names others. */
export const DEFAULT_ROUTES = Object.freeze({ login: '/login', visit: '/me', logout: '/logout' });

/** A lesson's folder name: its order, a dash, then a kebab-case slug ("03-sticky-sessions"). */
export const LESSON_FOLDER = /^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** The order and slug in a lesson folder's name; undefined when the name is not one. @param {string} name @returns {{ order: number, slug: string } | undefined} */
export function parseLessonFolder(name) {
  const [, order, slug] = LESSON_FOLDER.exec(name) ?? [];
  return order === undefined || slug === undefined ? undefined : { order: Number(order), slug };
}

/** Whether `value` names one of STRATEGIES. @param {unknown} value @returns {value is Strategy} */
export function isStrategy(value) {
  return /** @type {readonly unknown[]} */ (STRATEGIES).includes(value);
}

/** The most requests one burst command sends at once. */
export const MAX_BURST = 500;
/** The fastest steady traffic, in requests per second. */
export const MAX_TRAFFIC_RPS = 200;
