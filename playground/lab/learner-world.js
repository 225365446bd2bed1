// @ts-check
/**
 * The learner's cluster as it was when a graded check began, and putting it back once the check is over: checks run
 * from the lesson's own shape (its instance count and strategy, no steady traffic), and must not leave the
 * learner's lab in that shape.
 */

/** @typedef {import('./rules.js').Strategy} Strategy */
/** @typedef {{ users: string[], rps: number }} TrafficSettings */

/**
 * @typedef {object} LearnerWorld
 * @property {boolean} running  whether the cluster had instances at all (started, and not stopped since)
 * @property {{ name: string, down: boolean }[]} instances  each instance, and whether the learner had stopped or killed it
 * @property {Strategy} strategy  the balancer's strategy
 * @property {TrafficSettings | null} traffic  steady traffic, when it was on
 */

/**
 * @param {{ instances: { name: string, state: string }[], strategy: Strategy, traffic: TrafficSettings | null }} now
 * @returns {LearnerWorld}
 */
export function rememberWorld({ instances, strategy, traffic }) {
  return {
    running: instances.length > 0,
    // Stopped (or killed: the lab's kill ends in "stopped") is the learner's doing. A crash is the code's: the
    // code may have been fixed since, so a crashed instance is started again like the others.
    instances: instances.map((i) => ({ name: i.name, down: i.state === 'stopped' || i.state === 'stopping' })),
    strategy,
    traffic: traffic ? { users: [...traffic.users], rps: traffic.rps } : null,
  };
}

/**
 * @typedef {object} WorldControls
 * @property {(strategy: Strategy) => void} strategy
 * @property {(n: number) => Promise<void>} scale  exactly n instances, named A, B, C…
 * @property {(name: string) => Promise<void>} start  start the instance unless it is running
 * @property {(name: string) => Promise<void>} stop
 * @property {() => Promise<void>} stopAll
 * @property {(traffic: TrafficSettings) => void} traffic  steady traffic on, with these settings
 */

/**
 * Put the learner's world back: strategy, instances (how many, and which were down), steady traffic. Every part is
 * attempted even when another fails.
 * @param {LearnerWorld} world @param {WorldControls} controls
 * @returns {Promise<string[]>} what could not be put back, in words (empty when everything was)
 */
export async function restoreWorld(world, controls) {
  /** @type {string[]} */
  const problems = [];
  /** @param {string} what @param {() => unknown} step */
  const attempt = async (what, step) => {
    try {
      await step();
    } catch (error) {
      problems.push(`${what} (${/** @type {Error} */ (error).message})`);
    }
  };
  await attempt(`the balancer's strategy ${world.strategy}`, () => controls.strategy(world.strategy));
  if (!world.running) {
    await attempt('a stopped cluster', () => controls.stopAll());
  } else {
    await attempt(`${world.instances.length} instance${world.instances.length === 1 ? '' : 's'}`, () => controls.scale(world.instances.length));
    await Promise.all(
      world.instances.map(({ name, down }) => attempt(`instance ${name} ${down ? 'stopped' : 'running'}`, () => (down ? controls.stop(name) : controls.start(name)))),
    );
  }
  const traffic = world.traffic;
  if (traffic) await attempt(`steady traffic at ${traffic.rps} requests per second`, () => controls.traffic(traffic));
  return problems;
}
