/**
 * The requests-per-instance chart: one sparkline row per instance on a shared scale over the last 60 s, with a
 * text alternative. Learner traffic only: the caller leaves check traffic out.
 */
import type { RequestView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { chartMax, chartRows, chartSummary, drawSparkline, FAILED_ROW, RequestBuckets } from './request-chart.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface RequestChart {
  root: HTMLDetailsElement;
  add(request: RequestView, now: number): void;
  /** Slides the window (once a second) for the instances the cluster has now. */
  render(instances: readonly string[], now: number): void;
  /** "Busy: 12 of 40 requests in the last second drawn as dots", or nothing when every request was drawn. */
  note(seen: number, drawn: number): void;
  clear(): void;
}

export function requestChart(): RequestChart {
  let buckets = new RequestBuckets(60);
  const rowsBox = el('div', { class: 'pg-chart-rows', 'aria-hidden': 'true' });
  const text = el('p', { class: 'visually-hidden' });
  const sampleNote = el('p', { class: 'pg-chart-note', hidden: '' });
  // A disclosure, so a small screen can keep it one tap away (the panel closes it when it is narrow).
  const root = el(
    'details',
    { class: 'pg-chart', open: '' },
    el('summary', {}, el('span', {}, 'Requests per instance, last 60 s'), el('span', { class: 'pg-chart-col', 'aria-hidden': 'true' }, 'last 10 s')),
    rowsBox,
    text,
    sampleNote,
  );
  const rows = new Map<string, { row: HTMLElement; svg: SVGSVGElement; total: HTMLElement }>();

  return {
    root,
    add(request, now) {
      buckets.add(request.instance, now);
    },
    render(instances, now) {
      buckets.prune(now);
      const keys = chartRows(buckets, instances, now);
      const max = chartMax(buckets, keys, now);
      for (const [key, row] of rows) {
        if (keys.includes(key)) continue;
        row.row.remove();
        rows.delete(key);
      }
      keys.forEach((key, index) => {
        let row = rows.get(key);
        if (!row) {
          const svg = document.createElementNS(SVG_NS, 'svg');
          svg.setAttribute('class', 'pg-spark');
          const total = el('span', { class: 'pg-chart-total' });
          const label = el('span', { class: 'pg-chart-label' }, key === FAILED_ROW ? '✕ failed' : key);
          row = { row: el('div', { class: `pg-chart-row${key === FAILED_ROW ? ' pg-chart-failed' : ''}` }, label, svg, total), svg, total };
          rows.set(key, row);
        }
        if (rowsBox.children[index] !== row.row) rowsBox.insertBefore(row.row, rowsBox.children[index] ?? null);
        drawSparkline(row.svg, buckets.series(key, now), max);
        setText(row.total, String(buckets.total(key, now, 10)));
      });
      setText(text, `Requests per instance, ${chartSummary(buckets, keys, now, 10)}.`);
    },
    note(seen, drawn) {
      sampleNote.hidden = seen <= drawn + 2;
      if (!sampleNote.hidden) setText(sampleNote, `Busy: ${drawn} of ${seen} requests in the last second drawn as dots.`);
    },
    clear() {
      buckets = new RequestBuckets(60);
    },
  };
}
