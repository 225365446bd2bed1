import { describe, expect, it } from 'vitest';
import { chartMax, chartRows, chartSummary, FAILED_ROW, RequestBuckets } from '../../playground/client/panels/cluster/request-chart.ts';

const T0 = 1_700_000_000_000;

describe('request buckets', () => {
  it('counts requests per instance in 1-second buckets, oldest first', () => {
    const b = new RequestBuckets(5);
    b.add('A', T0);
    b.add('A', T0 + 10);
    b.add('B', T0 + 1000);
    b.add('A', T0 + 2500);
    expect(b.series('A', T0 + 2600)).toEqual([0, 0, 2, 0, 1]);
    expect(b.series('B', T0 + 2600)).toEqual([0, 0, 0, 1, 0]);
    expect(b.series('C', T0 + 2600)).toEqual([0, 0, 0, 0, 0]);
  });

  it('forgets buckets older than the window, even when the ring slot is reused', () => {
    const b = new RequestBuckets(3);
    b.add('A', T0);
    expect(b.total('A', T0 + 2000)).toBe(1);
    expect(b.total('A', T0 + 3000)).toBe(0);
    b.add('A', T0 + 3000); // same ring slot as T0
    expect(b.series('A', T0 + 3000)).toEqual([0, 0, 1]);
  });

  it('totals the last N seconds and summarises them as text', () => {
    const b = new RequestBuckets(60);
    for (let i = 0; i < 40; i++) b.add('A', T0 + i * 100);
    b.add('B', T0 + 500);
    b.add('B', T0 - 30_000); // outside the last 10 s
    b.add(null, T0);
    const rows = chartRows(b, ['A', 'B', 'C'], T0 + 4000);
    expect(rows).toEqual(['A', 'B', 'C', FAILED_ROW]);
    expect(chartSummary(b, rows, T0 + 4000, 10)).toBe('last 10 s: A 40, B 1, C 0, failed 1');
    expect(b.total('B', T0 + 4000)).toBe(2);
    expect(chartMax(b, rows, T0 + 4000)).toBe(10);
  });

  it('keeps a removed instance while it has data, then prunes it', () => {
    const b = new RequestBuckets(60);
    b.add('D', T0);
    expect(chartRows(b, ['A'], T0 + 1000)).toEqual(['A', 'D']);
    expect(chartRows(b, ['A'], T0 + 61_000)).toEqual(['A']);
    b.prune(T0 + 61_000);
    expect(b.keysWithData(T0 + 61_000)).toEqual([]);
  });

  it('says so when there are no instances', () => {
    expect(chartSummary(new RequestBuckets(), [], T0)).toBe('last 10 s: no instances');
  });
});
