/**
 * Alice, Bob and Carol: Log in / Visit / Log out, their session state in words, and their unexpected logouts of
 * the last minute ("3 logouts in the last minute (B 2, C 1)"), redrawn by the panel at most once a second.
 */
import type { SendCommand } from '../../components.ts';
import type { UserResultView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { errorSlot, runInto, setText } from '../panel-ui.ts';
import { userTallyShort, userTallyText, type ResultWindow } from './result-window.ts';
import { INITIAL_STATUS, nextUserStatus, USERS, type UserStatus } from './user-status.ts';

const USER_ACTIONS = [
  { action: 'login', label: 'Log in' },
  { action: 'visit', label: 'Visit' },
  { action: 'logout', label: 'Log out' },
] as const;

interface RowParts {
  name: string;
  status: UserStatus;
  label: HTMLElement;
  tally: HTMLElement;
  tallyShort: HTMLElement;
  tallyFull: HTMLElement;
}

export interface UserRows {
  node: HTMLElement;
  /** One of the learner's own results (never a check's). */
  apply(result: UserResultView): void;
  /** Everyone back to "not logged in"; `why` becomes the labels' title until their next result. */
  reset(why?: string): void;
  /** Redraws the logout counts from the window (they decay, so the panel calls this on a timer). */
  render(window: ResultWindow): void;
  dispose(): void;
}

export function createUserRows(options: { uid: string; send: SendCommand; onAct(user: string): void }): UserRows {
  const { uid, send, onAct } = options;
  const parts = new Map<string, RowParts>();
  const slot = errorSlot('User action');

  const paint = (row: RowParts, status: UserStatus) => {
    row.status = status;
    setText(row.label, status.label);
    row.label.dataset.tone = status.tone;
  };

  const list = el(
    'ul',
    { class: 'pg-users-rows' },
    ...USERS.map((u) => {
      const label = el('span', { class: 'pg-user-state', 'data-tone': INITIAL_STATUS.tone, id: `pg-user-${u.id}-${uid}` }, INITIAL_STATUS.label);
      // Shown short ("3 logouts in 1 min (B 2, C 1)"); read, and shown on hover, in full.
      const tallyShort = el('span', { 'aria-hidden': 'true' });
      const tallyFull = el('span', { class: 'visually-hidden' });
      const tally = el('span', { class: 'pg-user-tally', hidden: '' }, tallyShort, tallyFull);
      parts.set(u.id, { name: u.name, status: INITIAL_STATUS, label, tally, tallyShort, tallyFull });
      const buttons = USER_ACTIONS.map(({ action, label: text }) => {
        const button = el('button', { type: 'button', class: 'pg-btn pg-btn-small', 'aria-label': `${text} as ${u.name}`, 'data-action': action }, text);
        // Kept enabled while pending: learners click Visit repeatedly, and user actions run at once in the lab.
        button.addEventListener('click', () => {
          onAct(u.id);
          void runInto(slot, () => send({ type: 'user', user: u.id, action }));
        });
        return button;
      });
      return el(
        'li',
        { class: 'pg-user-row', 'data-user': u.id, style: `--user: var(${u.colorVar})` },
        el('span', { class: 'pg-user-name' }, el('span', { class: `pg-shape pg-shape-${u.shape}`, 'aria-hidden': 'true' }), el('strong', {}, u.name)),
        el('span', { class: 'pg-user-says' }, label, tally),
        el('span', { class: 'pg-user-actions', role: 'group', 'aria-label': `${u.name}'s actions` }, ...buttons),
      );
    }),
  );

  return {
    node: el('div', { class: 'pg-users-people' }, list, slot.node),
    apply(result) {
      const row = parts.get(result.user);
      if (!row) return;
      row.label.removeAttribute('title');
      paint(row, nextUserStatus(row.status, result));
    },
    reset(why) {
      for (const row of parts.values()) {
        paint(row, INITIAL_STATUS);
        if (why) row.label.title = why;
        else row.label.removeAttribute('title');
      }
    },
    render(window) {
      for (const [id, row] of parts) {
        const tally = window.user(id);
        const full = userTallyText(tally);
        setText(row.tallyShort, userTallyShort(tally));
        setText(row.tallyFull, full);
        row.tally.title = full ? `${row.name}: ${full}` : '';
        row.tally.hidden = full === '';
      }
    },
    dispose() {
      list.remove();
    },
  };
}
