import { describe, expect, it } from 'vitest';
import { describeCrash, noNotes } from '../../playground/lab/exit-reason.js';
import type { LabEvent } from '../../playground/protocol/lab-events.ts';
import { LabStore, type Phase } from '../../playground/client/session/lab-store.ts';
import { describeStatus } from '../../playground/client/session/status-text.ts';

/** A reason as the lab writes it for an instance that died while starting. */
function crash(lines: string[], code = 1): string {
  return describeCrash({ code, signal: null, lines, appDirs: ['/app'], starting: true, port: 4000, notes: noNotes(), balancerPort: 0 });
}
const SYNTAX = crash(['file:///app/server.js:3', 'app.get(/', '        ^', '', "SyntaxError: Invalid regular expression: missing /", '    at compileSourceTextModule (node:internal/modules/esm/utils:340:16)', '', 'Node.js v22.12.0']);
const DB = crash(['/app/lib/db.js:2', 'Error: no database url', '    at file:///app/lib/db.js:2:19']);

type State = 'starting' | 'up' | 'unhealthy' | 'crashed' | 'stopping' | 'stopped';

/** The state the store builds from the supervisor's events, after `phase` and these processes. */
function lab(options: { phase?: Phase; instances?: [string, State, string?][]; balancer?: State; redis?: [State, string?]; events?: LabEvent[] }): ReturnType<typeof describeStatus> {
  const store = new LabStore();
  store.setPhase(options.phase ?? { name: 'running' });
  const t = 1;
  if (options.balancer) store.apply({ type: 'process', role: 'balancer', name: 'balancer', state: options.balancer, port: 8080, strategy: 'round-robin', t });
  if (options.redis) store.apply({ type: 'process', role: 'redis', name: 'redis', state: options.redis[0], reason: options.redis[1], t });
  for (const [name, state, reason] of options.instances ?? []) {
    store.apply({ type: 'process', role: 'instance', name, generation: 1, state, reason: reason ?? null, t });
  }
  for (const event of options.events ?? []) store.apply(event);
  return describeStatus(store.state);
}

const UP: [string, State][] = [
  ['A', 'up'],
  ['B', 'up'],
  ['C', 'up'],
];

describe('status line', () => {
  it('says how to start before anything runs, and what the shell is doing while it connects', () => {
    expect(lab({ phase: { name: 'idle' } })).toBe('Press Run (Ctrl+Enter) to start the cluster.');
    expect(lab({ phase: { name: 'connecting', detail: 'Connecting to the lab host…' } })).toBe('Connecting to the lab host…');
    expect(lab({ phase: { name: 'running' } })).toBe('The lab is open. Press Run to start the cluster.');
  });

  it('counts instances while they start, and names a crash that happens meanwhile', () => {
    const starting = { name: 'starting', detail: 'Starting the cluster…' } as const;
    expect(lab({ phase: starting })).toBe('Starting the cluster…');
    expect(lab({ phase: starting, instances: [['A', 'up'], ['B', 'starting'], ['C', 'starting']] })).toBe('Starting the cluster… 1 of 3 instances up.');
    expect(lab({ phase: starting, instances: [['A', 'up'], ['B', 'crashed', DB], ['C', 'starting']] })).toBe(
      `Starting the cluster… 1 of 3 instances up; B crashed: ${DB}; C starting.`,
    );
  });

  it('all up is the only "Running"', () => {
    expect(lab({ balancer: 'up', redis: ['up'], instances: UP })).toBe('Running: all 3 instances up.');
    expect(lab({ instances: [['A', 'up']] })).toBe('Running: instance A up.');
  });

  it('all crashed with one reason says it once; different reasons per instance', () => {
    expect(SYNTAX).toMatch(/^server\.js:3: SyntaxError/);
    const same = lab({ balancer: 'up', instances: [['A', 'crashed', SYNTAX], ['B', 'crashed', SYNTAX], ['C', 'crashed', SYNTAX]] });
    expect(same).toMatch(/^All 3 instances crashed: server\.js:3: SyntaxError: Invalid regular expression/);
    expect(same).not.toMatch(/Running/);
    expect(same.match(/SyntaxError/g)).toHaveLength(1);
    const mixed = lab({ instances: [['A', 'crashed', SYNTAX], ['B', 'crashed', DB], ['C', 'crashed', DB]] });
    expect(mixed).toMatch(/^All 3 instances crashed: A: server\.js:3: SyntaxError.*; B and C: lib\/db\.js:2:19: Error: no database url \(exited with code 1 while starting\)\.$/);
  });

  it('quotes two different reasons at most and counts the rest', () => {
    const third = crash(['Error: something else entirely']);
    const text = lab({ instances: [['A', 'crashed', SYNTAX], ['B', 'crashed', DB], ['C', 'crashed', third]] });
    expect(text).toMatch(/; C too\.$/);
    expect(text).not.toContain('something else');
  });

  it('keeps long reasons short, cut at a word', () => {
    const long = `server.js:9:1: ${'a very long explanation '.repeat(20)}(exited with code 1)`;
    const text = lab({ instances: [['A', 'crashed', long], ['B', 'up'], ['C', 'up']] });
    expect(text.length).toBeLessThan(140);
    const head = '2 of 3 instances up; A crashed: ';
    expect(text.startsWith(head) && text.endsWith('…')).toBe(true);
    const kept = text.slice(head.length, -1);
    expect(long.startsWith(kept)).toBe(true);
    expect(long[kept.length]).toBe(' ');
  });

  it('names what is down when some are up, crashed apart from stopped', () => {
    expect(lab({ instances: [['A', 'up'], ['B', 'up'], ['C', 'crashed', DB]] })).toBe(`2 of 3 instances up; C crashed: ${DB}.`);
    expect(lab({ instances: [['A', 'up'], ['B', 'stopped', 'stopped from the lab'], ['C', 'up']] })).toBe('2 of 3 instances up; B stopped.');
    expect(lab({ instances: [['A', 'stopped'], ['B', 'crashed', DB], ['C', 'up']] })).toBe(`1 of 3 instances up; B crashed: ${DB}; A stopped.`);
    expect(lab({ instances: [['A', 'unhealthy', 'did not answer its health check'], ['B', 'up'], ['C', 'stopping']] })).toBe(
      '1 of 3 instances up; A unhealthy: did not answer its health check; C stopping.',
    );
  });

  it('all stopped is not a crash, and a mix with none up says so', () => {
    expect(lab({ instances: [['A', 'stopped'], ['B', 'stopped'], ['C', 'stopped']] })).toBe('All 3 instances stopped.');
    expect(lab({ instances: [['A', 'stopped'], ['B', 'crashed', DB], ['C', 'starting']] })).toBe(`No instance is up; B crashed: ${DB}; A stopped; C starting.`);
  });

  it('names a balancer or a Redis that is down', () => {
    expect(lab({ balancer: 'crashed', instances: UP })).toBe('The balancer crashed: no request reaches the instances. Running: all 3 instances up.');
    expect(lab({ balancer: 'up', redis: ['crashed', 'redis-server exited with code 1'], instances: UP })).toBe(
      'Running: all 3 instances up. Redis crashed: redis-server exited with code 1.',
    );
    expect(lab({ balancer: 'up', redis: ['stopped', 'stopped from the lab'], instances: UP })).toBe('Running: all 3 instances up. Redis stopped.');
  });

  it('checks, a rolling deploy and a note from the shell', () => {
    expect(lab({ instances: UP, events: [{ type: 'checks-start', names: ['one', 'two'], seed: 1, t: 1 }] })).toBe('Running checks: 0 of 2 done.');
    expect(lab({ instances: [['A', 'up'], ['B', 'starting'], ['C', 'up']], events: [{ type: 'deploy', phase: 'instance', instance: 'B', t: 1 }] })).toBe(
      'Rolling deploy in progress: A up, B starting, C up.',
    );
    expect(lab({ phase: { name: 'running', note: 'The lab was rebuilt on another host.' }, instances: UP })).toBe('Running: all 3 instances up. The lab was rebuilt on another host.');
  });

  it('a lab that stopped, was lost or failed to start', () => {
    expect(lab({ events: [{ type: 'exit', code: 0, t: 1 }] })).toBe('The lab stopped. Press Run to start it again.');
    expect(lab({ phase: { name: 'lost', detail: 'The connection to the lab was lost.' } })).toBe('The connection to the lab was lost. Your edits are safe in the editor.');
    expect(lab({ phase: { name: 'failed', detail: 'no lab host' } })).toBe('The lab could not start: no lab host');
  });
});
