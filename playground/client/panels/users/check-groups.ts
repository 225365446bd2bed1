/**
 * The checks' traffic in the users log: one collapsed group per check and run ("Check “…”: 42 requests, 3 logged
 * out"), its rows inside, so the learner's own rows stay theirs.
 */
import type { UserResultView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { CheckTraffic, checkGroupSummary, type CheckGroupTally } from './check-traffic.ts';
import { resultRow } from './log-rows.ts';
import { describeResult } from './user-status.ts';

/** Rows kept inside one group; the summary still counts them all. */
export const GROUP_ROW_LIMIT = 100;

interface GroupView {
  tally: CheckGroupTally;
  item: HTMLLIElement;
  summary: HTMLElement;
  rows: HTMLOListElement;
  note: HTMLElement;
}

export interface CheckGroups {
  /** A new run of the checks began. */
  begin(): void;
  /** Counts a check's result in its group at once (rows may be drawn later, or dropped when too many queue up). */
  count(result: UserResultView & { check: string }): CheckGroupTally;
  /** Draws a counted result in its group; returns the group's row when it is new (the log places it). */
  place(result: UserResultView, group: CheckGroupTally): HTMLLIElement | null;
  /** Brings the touched groups' summaries up to date (once per batch, not per result). */
  flush(): void;
}

export function createCheckGroups(): CheckGroups {
  const traffic = new CheckTraffic();
  let views = new Map<CheckGroupTally, GroupView>();
  const touched = new Set<GroupView>();

  const create = (tally: CheckGroupTally): GroupView => {
    const summary = el('span', { class: 'pg-checkgroup-text' });
    const note = el('li', { class: 'pg-checkgroup-note', hidden: '' });
    const rows = el('ol', { class: 'pg-checklog', 'aria-label': `Requests of the check “${tally.check}”, newest last` }, note);
    const details = el('details', { class: 'pg-checkgroup' }, el('summary', {}, el('span', { class: 'pg-checkgroup-icon', 'aria-hidden': 'true' }, '☑'), summary), rows);
    const item = el('li', { class: 'pg-log-group', 'data-check': tally.check, title: 'The graded check’s own users and requests, kept apart from yours' }, details);
    return { tally, item, summary, rows, note };
  };

  return {
    begin() {
      traffic.begin();
      views = new Map();
      touched.clear();
    },
    count(result) {
      return traffic.add(result).group;
    },
    place(result, group) {
      let view = views.get(group);
      // A group whose row left the log (cleared, or pushed out) comes back with its whole count.
      // (parentNode, not isConnected: a group created in this batch sits in the log's fragment until it is placed.)
      const fresh = !view || view.item.parentNode === null;
      if (!view || fresh) {
        view = create(group);
        views.set(group, view);
      }
      view.rows.append(resultRow(result, describeResult(result), 'pg-checklog-row', true));
      touched.add(view);
      return fresh ? view.item : null;
    },
    flush() {
      for (const view of touched) {
        setText(view.summary, checkGroupSummary(view.tally));
        const shown = view.rows.childElementCount - 1;
        for (let extra = shown - GROUP_ROW_LIMIT; extra > 0; extra--) view.note.nextElementSibling?.remove();
        const hidden = view.tally.requests - Math.min(shown, GROUP_ROW_LIMIT);
        view.note.hidden = hidden <= 0;
        setText(view.note, hidden > 0 ? `${hidden} earlier request${hidden === 1 ? '' : 's'} of this check not shown` : '');
      }
      touched.clear();
    },
  };
}
