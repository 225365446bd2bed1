import { describe, expect, it } from 'vitest';
import type { LabState } from '../../playground/client/session/lab-store.ts';
import { ALL, bannerRows, byDisplayOrder, listedProcesses, marksUnread, unlistedInstances } from '../../playground/client/panels/terminals/tab-rules.ts';
import { clearLabel, emptyOutputNote, tabMarkerText, tabTitle, type TermProcess } from '../../playground/client/panels/terminals/terminals-format.ts';

const all: TermProcess = { key: ALL, role: 'all', state: 'stopped' };
const balancer: TermProcess = { key: 'balancer', role: 'balancer', state: 'up' };
const redis: TermProcess = { key: 'redis', role: 'redis', state: 'up' };
const instance = (key: string, state: TermProcess['state'] = 'up', reason?: string): TermProcess => ({ key, role: 'instance', state, reason });
const tab = (p: TermProcess, unread = false) => ({ ...p, unread });

function labState(partial: Partial<LabState>): LabState {
  return {
    phase: { name: 'running' },
    balancer: { state: 'absent' },
    redis: { state: 'absent' },
    instances: [],
    traffic: false,
    deploying: false,
    checks: { running: false, names: [], results: [] },
    ...partial,
  };
}

describe('terminal tab order', () => {
  it('is All, balancer, instances by name, redis, whatever order they arrive in', () => {
    const tabs = [redis, instance('C'), balancer, instance('A'), all, instance('B')];
    expect([...tabs].sort(byDisplayOrder).map((t) => t.key)).toEqual([ALL, 'balancer', 'A', 'B', 'C', 'redis']);
  });
});

describe('processes the lab state lists', () => {
  it('always the balancer and Redis, absent ones as stopped, then every instance with its reason', () => {
    const state = labState({
      balancer: { state: 'up' },
      redis: { state: 'absent' },
      instances: [
        { name: 'A', state: 'up', generation: 1, served: 0, lastLines: [] },
        { name: 'B', state: 'crashed', reason: 'exited with code 1', generation: 1, served: 0, lastLines: [] },
      ],
    });
    expect(listedProcesses(state)).toEqual([
      { key: 'balancer', role: 'balancer', state: 'up' },
      { key: 'redis', role: 'redis', state: 'stopped', reason: undefined },
      { key: 'A', role: 'instance', state: 'up', reason: undefined },
      { key: 'B', role: 'instance', state: 'crashed', reason: 'exited with code 1' },
    ]);
  });

  it('carries a Redis crash reason', () => {
    const listed = listedProcesses(labState({ redis: { state: 'crashed', reason: 'port in use' } }));
    expect(listed.find((p) => p.key === 'redis')).toMatchObject({ state: 'crashed', reason: 'port in use' });
  });

  it('instance tabs it no longer lists go; All, balancer and redis stay', () => {
    const listed = listedProcesses(labState({ instances: [{ name: 'A', state: 'up', generation: 1, served: 0, lastLines: [] }] }));
    const tabs = [all, balancer, instance('A'), instance('B'), instance('C'), redis];
    expect(unlistedInstances(tabs, listed).map((t) => t.key)).toEqual(['B', 'C']);
    expect(unlistedInstances([all, balancer, redis], listedProcesses(labState({})))).toEqual([]);
  });
});

describe('"new output" marks', () => {
  it('marks a tab whose output is not on screen', () => {
    const a = tab(instance('A'));
    expect(marksUnread(a, tab(balancer))).toBe(true);
  });

  it('not the shown tab, nor anything while All (everyone’s output) is shown, nor the All tab itself', () => {
    const a = tab(instance('A'));
    expect(marksUnread(a, a)).toBe(false);
    expect(marksUnread(a, all)).toBe(false);
    expect(marksUnread(tab(all), tab(balancer))).toBe(false);
  });

  it('not a tab already marked, nor a crashed one (it has its crash mark)', () => {
    expect(marksUnread(tab(instance('A'), true), balancer)).toBe(false);
    expect(marksUnread(tab(instance('A', 'crashed')), balancer)).toBe(false);
  });

  it('before any tab is selected, output is not on screen', () => {
    expect(marksUnread(tab(instance('A')), undefined)).toBe(true);
  });
});

describe('crash banner rows', () => {
  it('lists crashed processes only, in display order, the shown one first', () => {
    const a = instance('A', 'crashed');
    const b = instance('B', 'crashed');
    const ordered = [all, balancer, a, b, instance('C'), redis];
    expect(bannerRows(ordered, b)).toEqual({ rows: [b, a], more: 0 });
    expect(bannerRows(ordered, balancer)).toEqual({ rows: [a, b], more: 0 });
  });

  it('shows at most three and counts the rest', () => {
    const crashed = ['A', 'B', 'C', 'D', 'E'].map((k) => instance(k, 'crashed'));
    const { rows, more } = bannerRows([all, balancer, ...crashed, redis], crashed[4]);
    expect(rows.map((r) => r.key)).toEqual(['E', 'A', 'B']);
    expect(more).toBe(2);
  });

  it('is empty when nothing crashed', () => {
    expect(bannerRows([all, balancer, instance('A'), redis], all)).toEqual({ rows: [], more: 0 });
  });
});

describe('terminal tab words', () => {
  it('an empty tab says why it is empty', () => {
    expect(emptyOutputNote(all)).toBe('No output yet. Press Run to start the cluster.');
    expect(emptyOutputNote(instance('B'))).toBe('No output from Instance B yet.');
    expect(emptyOutputNote(redis)).toBe('No output from Redis yet.');
  });

  it('Clear names what it clears', () => {
    expect(clearLabel(all)).toBe('Clear all output');
    expect(clearLabel(instance('A'))).toBe('Clear Instance A output');
    expect(clearLabel(balancer)).toBe('Clear Balancer output');
  });

  it('the marker reads on from the name: "Instance B crashed", "Instance B new output"', () => {
    expect(tabMarkerText(instance('B', 'crashed'), true)).toBe(' crashed');
    expect(tabMarkerText(instance('B'), true)).toBe(' new output');
    expect(tabMarkerText(instance('B'), false)).toBe('');
  });

  it('the tooltip gives the crash reason', () => {
    expect(tabTitle(instance('B', 'crashed', 'server.js:1:7: Error: boom'))).toBe('Instance B crashed: server.js:1:7: Error: boom');
    expect(tabTitle(instance('B', 'crashed'))).toBe('Instance B');
    expect(tabTitle(instance('B', 'up', 'old reason'))).toBe('Instance B');
  });
});
