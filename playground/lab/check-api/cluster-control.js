// @ts-check
/**
 * The cluster as a check sees and changes it: its instances and their states, killing, stopping, starting,
 * restarting, scaling, deploying, the balancer's strategy, and the lab's Redis. Any change sets `changedCluster`,
 * so the grader restores the cluster before the next check.
 */
import { CheckFailure } from '../grader.js';
import { define } from './context.js';

/** @param {import('./context.js').CheckContext} context */
export function addClusterControl({ controls, api }) {
  define(api, {
    instances: () => controls.instances(),
    upInstances: () => controls.instances().filter((i) => i.state === 'up').map((i) => i.name),
    changedCluster: false,
    kill: (name) => { api.changedCluster = true; return controls.kill(name); },
    stop: (name) => { api.changedCluster = true; return controls.stop(name); },
    start: (name) => { api.changedCluster = true; return controls.start(name); },
    restart: (name) => { api.changedCluster = true; return controls.restart(name); },
    scale: (n) => { api.changedCluster = true; return controls.scale(n); },
    async deploy() {
      api.changedCluster = true;
      const outcome = await controls.deploy();
      if (!outcome.ok) throw new CheckFailure(`The rolling deploy did not complete: ${outcome.reason}.`);
    },
    strategy: (strategy) => { api.changedCluster = true; controls.strategy(strategy); },
    redis: controls.redis,
    async waitForAllUp(timeoutMs = 8000) {
      const describe = () => controls.instances().map((i) => `${i.name} ${i.state}${i.reason ? ` (${i.reason})` : ''}`).join('; ');
      await api.waitFor(() => {
        const list = controls.instances();
        if (list.some((i) => i.state === 'crashed')) throw new CheckFailure(`Expected every instance to be up; observed ${describe()}.`);
        return list.length > 0 && list.every((i) => i.state === 'up');
      }, () => `Expected every instance to be up; observed ${describe()}.`, timeoutMs);
    },
  });
}
