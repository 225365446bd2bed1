import { describe, expect, it } from 'vitest';
import { instanceActions, listWords, redisTitle, shortReason, stateLook } from '../../playground/client/panels/cluster/cluster-format.ts';
import { crashBannerText } from '../../playground/client/panels/terminals/terminals-format.ts';
import type { ProcessState } from '../../playground/client/session/lab-store.ts';

describe('cluster view words', () => {
  it('every state has a word and an icon, not only a colour', () => {
    const states: ProcessState[] = ['starting', 'up', 'unhealthy', 'crashed', 'stopping', 'stopped'];
    for (const state of states) {
      const look = stateLook(state);
      expect(look.word).toBe(state);
      expect(look.icon).not.toBe('');
    }
    expect(stateLook('absent').word).toBe('not running');
  });

  it('says where Redis runs', () => {
    expect(redisTitle('redis-server')).toBe('Redis (redis-server, on the lab host)');
    expect(redisTitle('js-redis-server')).toBe('Redis (JavaScript server in the sandbox)');
    expect(redisTitle('hosted')).toBe('Redis (hosted, on the lab host)');
    expect(redisTitle('external')).toMatch(/^Redis \(external/);
    expect(redisTitle(undefined)).toBe('Redis');
  });

  it('shortens a long crash reason to its first line', () => {
    expect(shortReason('exited with code 1\nError: boom')).toBe('exited with code 1');
    const long = 'x'.repeat(100);
    expect(shortReason(long, 20)).toBe(`${'x'.repeat(19)}…`);
  });

  it('cuts a reason, and the crash banner, at a word boundary, never mid-word', () => {
    const reason = 'did not react to the balancer for 3 s: its event loop is blocked (an endless loop, heavy synchronous work?)';
    const short = shortReason(reason, 40);
    expect(short).toBe('did not react to the balancer for 3 s…');
    const banner = crashBannerText(`server.js:3:25: Error: ${'database password missing '.repeat(20)}(exited with code 1 while starting)`);
    expect(banner.startsWith('server.js:3:25: Error: database password missing')).toBe(true);
    expect(banner).toMatch(/ missing…$|password…$|database…$/);
    expect(banner.length).toBeLessThanOrEqual(241);
  });

  it('offers the instance actions that make sense in each state', () => {
    expect(instanceActions('up')).toEqual({ stop: true, kill: true, start: false, restart: true });
    expect(instanceActions('stopped')).toEqual({ stop: false, kill: false, start: true, restart: true });
    expect(instanceActions('crashed').start).toBe(true);
    expect(instanceActions('stopping')).toEqual({ stop: false, kill: false, start: false, restart: false });
  });

  it('lists words', () => {
    expect(listWords(['A'])).toBe('A');
    expect(listWords(['A', 'B', 'C'])).toBe('A, B and C');
  });
});
