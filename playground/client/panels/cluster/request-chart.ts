/**
 * Requests per instance over time: 1-second buckets over a sliding window (60 s by default), the pure part of
 * the cluster view's small chart, plus the SVG drawing of it. Failed requests (no instance) count in a row of
 * their own so "the balancer turned people away" is as visible as skew.
 */

export const FAILED_ROW = '✕';

export class RequestBuckets {
  readonly seconds: number;
  private rows = new Map<string, { counts: number[]; stamps: number[] }>();

  constructor(seconds = 60) {
    this.seconds = seconds;
  }

  /** Counts one request served by `instance` (null: failed at the balancer) at time `now` (ms). */
  add(instance: string | null, now: number): void {
    const key = instance ?? FAILED_ROW;
    let row = this.rows.get(key);
    if (!row) {
      row = { counts: new Array<number>(this.seconds).fill(0), stamps: new Array<number>(this.seconds).fill(-1) };
      this.rows.set(key, row);
    }
    const second = Math.floor(now / 1000);
    const slot = second % this.seconds;
    if (row.stamps[slot] !== second) {
      row.stamps[slot] = second;
      row.counts[slot] = 0;
    }
    row.counts[slot]!++;
  }

  /** Oldest first: `seconds` counts ending with the current second. */
  series(key: string, now: number): number[] {
    const row = this.rows.get(key);
    const current = Math.floor(now / 1000);
    const out: number[] = [];
    for (let s = current - this.seconds + 1; s <= current; s++) {
      const slot = ((s % this.seconds) + this.seconds) % this.seconds;
      out.push(row && row.stamps[slot] === s ? row.counts[slot]! : 0);
    }
    return out;
  }

  /** Requests in the last `window` seconds (including the current one). */
  total(key: string, now: number, window = this.seconds): number {
    const series = this.series(key, now);
    return series.slice(series.length - Math.min(window, this.seconds)).reduce((a, b) => a + b, 0);
  }

  /** Rows that have data in the window, so a removed instance fades out of the chart after a minute. */
  keysWithData(now: number): string[] {
    return [...this.rows.keys()].filter((k) => this.total(k, now) > 0);
  }

  /** Forget rows that have had nothing for a whole window (keeps the map small across restarts). */
  prune(now: number): void {
    for (const key of [...this.rows.keys()]) if (this.total(key, now) === 0) this.rows.delete(key);
  }
}

/**
 * Rows to draw: every current instance (even idle ones: an instance getting nothing is the point of the sticky
 * lesson), then instances that are gone but still have data, then failures.
 */
export function chartRows(buckets: RequestBuckets, instances: readonly string[], now: number): string[] {
  const withData = buckets.keysWithData(now);
  const gone = withData.filter((k) => k !== FAILED_ROW && !instances.includes(k)).sort();
  const rows = [...instances, ...gone];
  if (withData.includes(FAILED_ROW)) rows.push(FAILED_ROW);
  return rows;
}

/** Text alternative: "last 10 s: A 40, B 2, C 1, failed 3". */
export function chartSummary(buckets: RequestBuckets, rows: readonly string[], now: number, window = 10): string {
  if (rows.length === 0) return `last ${window} s: no instances`;
  const parts = rows.map((key) => `${key === FAILED_ROW ? 'failed' : key} ${buckets.total(key, now, window)}`);
  return `last ${window} s: ${parts.join(', ')}`;
}

/** Height scale shared by all rows, so skew reads as one tall row next to flat ones. */
export function chartMax(buckets: RequestBuckets, rows: readonly string[], now: number): number {
  let max = 0;
  for (const key of rows) for (const n of buckets.series(key, now)) max = Math.max(max, n);
  return max;
}

const SVG = 'http://www.w3.org/2000/svg';

/** One row's bars as an SVG (decorative: the text alternative lives next to it). */
export function drawSparkline(svg: SVGSVGElement, series: readonly number[], max: number): void {
  const width = series.length;
  const height = 20;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const bars: string[] = [];
  series.forEach((n, i) => {
    if (n === 0 || max === 0) return;
    const h = Math.max(1.5, (n / max) * height);
    bars.push(`M${i + 0.1} ${height}V${(height - h).toFixed(2)}h0.8V${height}z`);
  });
  let path = svg.querySelector('path.pg-spark-bars');
  if (!path) {
    const base = document.createElementNS(SVG, 'line');
    base.setAttribute('class', 'pg-spark-base');
    base.setAttribute('x1', '0');
    base.setAttribute('x2', String(width));
    base.setAttribute('y1', String(height - 0.25));
    base.setAttribute('y2', String(height - 0.25));
    path = document.createElementNS(SVG, 'path');
    path.setAttribute('class', 'pg-spark-bars');
    svg.append(base, path);
  }
  path.setAttribute('d', bars.join(''));
}
