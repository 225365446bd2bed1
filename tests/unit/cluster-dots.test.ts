import { describe, expect, it } from 'vitest';
import { DotSampler } from '../../playground/client/panels/cluster/cluster-dots.ts';

describe('dot sampler', () => {
  it('draws every request when traffic is light', () => {
    const s = new DotSampler({ maxLive: 24, perSecond: 12, burst: 6 });
    let drawn = 0;
    for (let i = 0; i < 20; i++) {
      if (s.admit(i * 250)) drawn++;
      s.release();
    }
    expect(drawn).toBe(20);
  });

  it('samples a flood down to about the budget per second', () => {
    const s = new DotSampler({ maxLive: 1000, perSecond: 12, burst: 6 });
    let drawn = 0;
    for (let i = 0; i < 3000; i++) if (s.admit(i)) drawn++; // 1000 requests/s for 3 s
    expect(drawn).toBeGreaterThanOrEqual(30);
    expect(drawn).toBeLessThanOrEqual(42);
    expect(s.rate()).toEqual({ seen: 3000, drawn });
    expect(s.rate()).toEqual({ seen: 0, drawn: 0 });
  });

  it('never has more than maxLive dots on screen', () => {
    const s = new DotSampler({ maxLive: 5, perSecond: 1000, burst: 1000 });
    let drawn = 0;
    for (let i = 0; i < 50; i++) if (s.admit(0)) drawn++;
    expect(drawn).toBe(5);
    expect(s.liveCount).toBe(5);
    s.release();
    expect(s.admit(0)).toBe(true);
  });

  it('keeps the last token for priority requests (failures, named users)', () => {
    const s = new DotSampler({ maxLive: 100, perSecond: 0, burst: 3 });
    expect(s.admit(0)).toBe(true);
    expect(s.admit(0)).toBe(true);
    expect(s.admit(0)).toBe(false);
    expect(s.admit(0, true)).toBe(true);
    expect(s.admit(0, true)).toBe(false);
  });
});
