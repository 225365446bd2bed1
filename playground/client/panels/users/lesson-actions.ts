/** The lesson's own actions (a burst of requests, a flag switch…), sent as the user picked under "Send as". */
import type { SendCommand } from '../../components.ts';
import type { LabSettings } from '../../../protocol/lesson-schema.ts';
import { el } from '../../dom.ts';
import { errorSlot, runInto } from '../panel-ui.ts';
import { USERS } from './user-status.ts';

export interface LessonActions {
  node: HTMLElement;
  /** The user whose buttons the learner used last becomes the one the actions are sent as. */
  select(user: string): void;
  dispose(): void;
}

export function createLessonActions(options: { uid: string; actions: LabSettings['actions']; send: SendCommand }): LessonActions {
  const { uid, actions, send } = options;
  // A select, not radios: one control's width, so the actions share a line with the traffic switch.
  const select = el('select', { class: 'pg-select pg-users-as-select', id: `pg-as-${uid}` }, ...USERS.map((u) => el('option', { value: u.id }, u.name)));
  const slot = errorSlot('Action');
  const buttons = actions.map((a) => {
    const button = el('button', { type: 'button', class: 'pg-btn pg-btn-small' }, a.label);
    button.title = `${a.count} × ${a.method} ${a.path}`;
    button.addEventListener('click', () => {
      void runInto(slot, () => send({ type: 'burst', user: select.value, method: a.method, path: a.path, count: a.count }));
    });
    return button;
  });
  const node = el(
    'div',
    { class: 'pg-users-lesson', role: 'group', 'aria-label': 'Lesson actions' },
    el('label', { class: 'pg-users-as', for: select.id }, 'Send as'),
    select,
    ...buttons,
    slot.node,
  );
  return {
    node,
    select(user) {
      select.value = user;
    },
    dispose() {
      node.remove();
    },
  };
}
