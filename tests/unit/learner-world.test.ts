import { describe, expect, it } from 'vitest';
import { rememberWorld, restoreWorld, type WorldControls } from '../../playground/lab/learner-world.js';

/** Controls that write down what they are asked, failing the steps named in `failing`. */
function recorder(failing: string[] = []) {
  const asked: string[] = [];
  const step = (what: string) => {
    asked.push(what);
    if (failing.some((f) => what.startsWith(f))) throw new Error(`${what} failed`);
  };
  const controls: WorldControls = {
    strategy: (s) => step(`strategy ${s}`),
    scale: async (n) => step(`scale ${n}`),
    start: async (name) => step(`start ${name}`),
    stop: async (name) => step(`stop ${name}`),
    stopAll: async () => step('stopAll'),
    traffic: (t) => step(`traffic ${t.users.join(',')} ${t.rps}`),
  };
  return { asked, controls };
}

describe("the learner's world around a check", () => {
  it('remembers which instances the learner took down; a crashed one is started again (its code may be fixed)', async () => {
    const world = rememberWorld({
      instances: [
        { name: 'A', state: 'up' },
        { name: 'B', state: 'stopped' },
        { name: 'C', state: 'crashed' },
        { name: 'D', state: 'starting' },
      ],
      strategy: 'sticky',
      traffic: { users: ['alice', 'bob'], rps: 7 },
    });
    const { asked, controls } = recorder();
    expect(await restoreWorld(world, controls)).toEqual([]);
    expect(asked).toEqual(['strategy sticky', 'scale 4', 'start A', 'stop B', 'start C', 'start D', 'traffic alice,bob 7']);
  });

  it('stops a cluster that was not running, and turns no traffic on that was off', async () => {
    const { asked, controls } = recorder();
    await restoreWorld(rememberWorld({ instances: [], strategy: 'round-robin', traffic: null }), controls);
    expect(asked).toEqual(['strategy round-robin', 'stopAll']);
  });

  it('puts back every part it can when one fails, and says which did not come back', async () => {
    const world = rememberWorld({ instances: [{ name: 'A', state: 'up' }], strategy: 'least-connections', traffic: { users: ['carol'], rps: 5 } });
    const { asked, controls } = recorder(['scale']);
    const problems = await restoreWorld(world, controls);
    expect(asked).toEqual(['strategy least-connections', 'scale 1', 'start A', 'traffic carol 5']);
    expect(problems).toEqual(['1 instance (scale 1 failed)']);
  });
});
