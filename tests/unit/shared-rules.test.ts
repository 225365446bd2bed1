/**
 * Each rule several layers share has one source (playground/lab/rules.js). These fail when a strategy or a limit
 * is added in one place only: every user of a rule must agree with it.
 */
import { describe, expect, it } from 'vitest';
import { PICKERS } from '../../playground/lab/balancer-strategies.js';
import { Cluster } from '../../playground/lab/cluster.js';
import { COMMAND_TYPES } from '../../playground/lab/commands.js';
import { DEFAULT_ROUTES, LESSON_FOLDER, MAX_BURST, MAX_INSTANCES, MAX_TRAFFIC_RPS, MIN_INSTANCES, parseLessonFolder, STRATEGIES } from '../../playground/lab/rules.js';
import { STRATEGY_WORDS } from '../../playground/client/panels/cluster/cluster-format.ts';
import { labCommand } from '../../playground/protocol/lab-commands.ts';
import { parseClientMessage } from '../../playground/protocol/host-messages.ts';
import { labEvent } from '../../playground/protocol/lab-events.ts';
import { labSchema, lessonSchema, strategySchema } from '../../playground/protocol/lesson-schema.ts';
import { placeOf } from '../../playground/course/lessons.ts';

const accepts = (command: unknown) => labCommand.safeParse(command).success;
const lesson = (lab: unknown) => lessonSchema.safeParse({ title: 't', summary: 's', minutes: 15, hints: ['a', 'b'], lab }).success;

describe('strategies', () => {
  it('the balancer, the schema, the commands, the events and the page name the same strategies', () => {
    expect(Object.keys(PICKERS).sort()).toEqual([...STRATEGIES].sort());
    expect(strategySchema.options).toEqual([...STRATEGIES]);
    expect(Object.keys(STRATEGY_WORDS).sort()).toEqual([...STRATEGIES].sort());
    for (const strategy of STRATEGIES) {
      expect(accepts({ type: 'strategy', strategy })).toBe(true);
      expect(lesson({ strategy })).toBe(true);
      expect(labEvent.safeParse({ type: 'process', t: 1, role: 'balancer', name: 'balancer', state: 'up', port: 1, strategy }).success).toBe(true);
    }
    expect(accepts({ type: 'strategy', strategy: 'random' })).toBe(false);
    expect(lesson({ strategy: 'random' })).toBe(false);
  });
});

describe('instance limits', () => {
  it('the schema and the commands allow exactly MIN_INSTANCES to MAX_INSTANCES', () => {
    for (const [n, ok] of [[MIN_INSTANCES - 1, false], [MIN_INSTANCES, true], [MAX_INSTANCES, true], [MAX_INSTANCES + 1, false]] as const) {
      expect(lesson({ instances: n }), `lesson with ${n}`).toBe(ok);
      expect(accepts({ type: 'scale', instances: n }), `scale ${n}`).toBe(ok);
      expect(accepts({ type: 'start', instances: n }), `start ${n}`).toBe(ok);
    }
  });

  it('the cluster names MAX_INSTANCES instances and refuses one more', async () => {
    const cluster = new Cluster({ appDir: '/nonexistent', entry: 'server.js', env: {}, startupTimeoutMs: 1, onState: () => undefined, onLog: () => undefined, onDeploy: () => undefined });
    await expect(cluster.scale(MAX_INSTANCES + 1)).rejects.toThrow(`from ${MIN_INSTANCES} to ${MAX_INSTANCES}`);
    await expect(cluster.scale(MIN_INSTANCES - 1)).rejects.toThrow(`from ${MIN_INSTANCES} to ${MAX_INSTANCES}`);
  });

  it('bursts and traffic have one limit each', () => {
    expect(accepts({ type: 'burst', path: '/', count: MAX_BURST })).toBe(true);
    expect(accepts({ type: 'burst', path: '/', count: MAX_BURST + 1 })).toBe(false);
    expect(accepts({ type: 'traffic', rps: MAX_TRAFFIC_RPS })).toBe(true);
    expect(accepts({ type: 'traffic', rps: MAX_TRAFFIC_RPS + 1 })).toBe(false);
  });
});

describe('commands', () => {
  it('the supervisor and the protocol know the same commands', () => {
    expect(labCommand.options.map((o) => o.shape.type.value).sort()).toEqual([...COMMAND_TYPES].sort());
  });

  it('the host refuses a command in the words the supervisor would use, so both runtimes say the same', () => {
    const refusal = (command: unknown) => {
      const parsed = parseClientMessage(JSON.stringify({ op: 'command', id: 1, command }));
      return parsed.ok ? undefined : parsed.error;
    };
    expect(refusal({ type: 'scale', instances: MAX_INSTANCES + 1 })).toBe(`instances must be a whole number from ${MIN_INSTANCES} to ${MAX_INSTANCES}, got ${MAX_INSTANCES + 1}`);
    expect(refusal({ type: 'scale' })).toBe('"scale" needs a number "instances"');
    expect(refusal({ type: 'strategy', strategy: 'random' })).toBe(`unknown strategy "random"; use one of ${STRATEGIES.join(', ')}`);
    expect(refusal({ type: 'burst', path: '/', count: MAX_BURST + 1 })).toBe(`a burst is 1 to ${MAX_BURST} requests`);
    expect(refusal({ type: 'instance', name: 'A', action: 'nuke' })).toBe('unknown instance action "nuke"; use stop, kill, start or restart');
    expect(refusal({ type: 'explode' })).toMatch(/^unknown command type "explode"; known: /);
    expect(refusal({ type: 'user', user: 'a', action: 'visit', extra: 1 })).toMatch(/^invalid "user" command: /);
  });
});

describe('default routes', () => {
  it('a lesson that names no routes gets the engine defaults', () => {
    expect(labSchema.parse({}).users).toEqual(DEFAULT_ROUTES);
  });
});

describe('lesson folders', () => {
  it('one rule: what the engine reads is what the course loader accepts', () => {
    for (const name of ['03-sticky-sessions', '10-a', '7-x-y-z']) {
      expect(parseLessonFolder(name)).toEqual({ order: Number.parseInt(name, 10), slug: name.replace(/^\d+-/, '') });
      expect(placeOf(name).slug).toBe(name.replace(/^\d+-/, ''));
    }
    for (const name of ['03-Foo', '03-', 'sticky', '03_sticky', '03-sticky-', '03--sticky']) {
      expect(parseLessonFolder(name), name).toBeUndefined();
      expect(() => placeOf(name), name).toThrow(String(LESSON_FOLDER));
    }
  });
});
