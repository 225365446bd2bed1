/**
 * The users panel: Alice, Bob and Carol with Log in / Visit / Log out, their session state in words, steady
 * traffic, the lesson's own actions, and a bounded log of results. The log itself is not a live region (a busy
 * lab would flood screen readers); a separate status line announces at most every few seconds.
 */
import type { Disposable, MountUsersPanel, UsersPanelOptions } from '../../components.ts';
import type { LabStore, UserResultView } from '../../session/lab-store.ts';
import { addPanelStyles, errorSlot, runInto, setText } from '../panel-ui.ts';
import { el } from '../../dom.ts';
import { announcement, describeResult, INITIAL_STATUS, nextUserStatus, USERS, userLook, type UserStatus } from './user-status.ts';

export const LOG_LIMIT = 200;
const ANNOUNCE_EVERY_MS = 3000;
const TRAFFIC_RPS = 5;

const USER_ACTIONS = [
  { action: 'login', label: 'Log in' },
  { action: 'visit', label: 'Visit' },
  { action: 'logout', label: 'Log out' },
] as const;

export const mountUsersPanel: MountUsersPanel = (element: HTMLElement, store: LabStore, options: UsersPanelOptions): Disposable => {
  addPanelStyles();
  const { send, lab } = options;
  const cleanups: (() => void)[] = [];
  const uid = Math.random().toString(36).slice(2, 8);

  // ---- user rows ----
  const statuses = new Map<string, UserStatus>();
  const labels = new Map<string, HTMLElement>();
  const rowSlot = errorSlot('User action');
  const rows = el(
    'ul',
    { class: 'pg-users-rows' },
    ...USERS.map((u) => {
      statuses.set(u.id, INITIAL_STATUS);
      const label = el('span', { class: 'pg-user-state', 'data-tone': 'neutral', id: `pg-user-${u.id}-${uid}` }, INITIAL_STATUS.label);
      labels.set(u.id, label);
      const buttons = USER_ACTIONS.map(({ action, label: text }) => {
        const button = el('button', { type: 'button', class: 'pg-btn pg-btn-small', 'aria-label': `${text} as ${u.name}`, 'data-action': action }, text);
        // Kept enabled while pending: learners click Visit repeatedly, and user actions run at once in the lab.
        button.addEventListener('click', () => {
          selected = u.id;
          syncSelection();
          void runInto(rowSlot, () => send({ type: 'user', user: u.id, action }));
        });
        return button;
      });
      return el(
        'li',
        { class: 'pg-user-row', 'data-user': u.id, style: `--user: var(${u.colorVar})` },
        el('span', { class: 'pg-user-name' }, el('span', { class: `pg-shape pg-shape-${u.shape}`, 'aria-hidden': 'true' }), el('strong', {}, u.name)),
        label,
        el('span', { class: 'pg-user-actions', role: 'group', 'aria-label': `${u.name}'s actions` }, ...buttons),
      );
    }),
  );

  // ---- traffic switch ----
  let trafficBox: { button: HTMLButtonElement; slot: ReturnType<typeof errorSlot>; pending: boolean } | undefined;
  if (lab.controls.includes('traffic')) {
    const button = el(
      'button',
      { type: 'button', role: 'switch', class: 'pg-switch', 'aria-checked': 'false' },
      el('span', { class: 'pg-switch-track', 'aria-hidden': 'true' }, el('span', { class: 'pg-switch-thumb' })),
      el('span', {}, `Steady traffic (${TRAFFIC_RPS} requests/s)`),
      el('span', { class: 'pg-switch-word', 'aria-hidden': 'true' }),
    );
    const slot = errorSlot('Steady traffic');
    trafficBox = { button, slot, pending: false };
    button.addEventListener('click', () => {
      const box = trafficBox!;
      const on = button.getAttribute('aria-checked') !== 'true';
      box.pending = true;
      button.setAttribute('aria-checked', String(on));
      paintTraffic();
      void runInto(slot, () => send({ type: 'traffic', on, rps: TRAFFIC_RPS })).finally(() => {
        box.pending = false;
        paintTraffic();
      });
    });
  }
  function paintTraffic(): void {
    if (!trafficBox) return;
    const { button, pending } = trafficBox;
    if (!pending) button.setAttribute('aria-checked', String(store.state.traffic));
    setText(button.querySelector('.pg-switch-word')!, button.getAttribute('aria-checked') === 'true' ? 'on' : 'off');
  }

  // ---- lesson actions ----
  let selected = 'alice';
  const radios: HTMLInputElement[] = [];
  let actionsBox: HTMLElement | null = null;
  const actionSlot = errorSlot('Action');
  if (lab.actions.length) {
    const fieldset = el('fieldset', { class: 'pg-users-as' }, el('legend', {}, 'Send as'));
    for (const u of USERS) {
      const radio = el('input', { type: 'radio', name: `pg-as-${uid}`, value: u.id });
      radio.checked = u.id === selected;
      radio.addEventListener('change', () => {
        if (radio.checked) selected = u.id;
      });
      radios.push(radio);
      fieldset.append(el('label', { class: 'pg-radio' }, radio, u.name));
    }
    const buttons = lab.actions.map((a) => {
      const button = el('button', { type: 'button', class: 'pg-btn' }, a.label);
      button.title = `${a.count} × ${a.method} ${a.path}`;
      button.addEventListener('click', () => {
        void runInto(actionSlot, () => send({ type: 'burst', user: selected || 'alice', method: a.method, path: a.path, count: a.count }));
      });
      return button;
    });
    actionsBox = el('div', { class: 'pg-users-lesson', role: 'group', 'aria-label': 'Lesson actions' }, fieldset, el('div', { class: 'pg-users-lesson-buttons' }, ...buttons), actionSlot.node);
  }
  function syncSelection(): void {
    for (const radio of radios) radio.checked = radio.value === selected;
  }

  // ---- log ----
  const log = el('ol', { class: 'pg-log', 'aria-label': 'Results of user actions, newest last', tabindex: '0' });
  const empty = el('p', { class: 'pg-log-empty' }, 'Results of Log in, Visit and Log out appear here.');
  const announcer = el('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const clear = el('button', { type: 'button', class: 'pg-btn pg-btn-small pg-btn-quiet' }, 'Clear log');
  clear.addEventListener('click', () => {
    log.replaceChildren();
    empty.hidden = false;
  });

  const root = el(
    'div',
    { class: 'pg-userspanel' },
    rows,
    rowSlot.node,
    el('div', { class: 'pg-users-extras' }, trafficBox?.button ?? null, trafficBox?.slot.node ?? null),
    actionsBox,
    el('div', { class: 'pg-log-head' }, el('span', { class: 'pg-log-title' }, 'Log'), clear),
    empty,
    log,
    announcer,
  );
  element.append(root);

  // ---- results ----
  let pendingRows: UserResultView[] = [];
  let unannounced: UserResultView[] = [];
  let frame = 0;
  let lastAnnounce = 0;
  let announceTimer = 0;

  function flushRows(): void {
    frame = 0;
    const batch = pendingRows.slice(-LOG_LIMIT);
    pendingRows = [];
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    const fragment = document.createDocumentFragment();
    for (const result of batch) {
      const entry = describeResult(result);
      const look = userLook(result.user);
      const time = new Date(result.t || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
      fragment.append(
        el(
          'li',
          { class: 'pg-log-row', 'data-tone': entry.tone, style: `--user: var(${look.colorVar})` },
          el('span', { class: `pg-shape pg-shape-${look.shape}`, 'aria-hidden': 'true' }),
          el('span', { class: 'pg-log-text' }, entry.text),
          el('span', { class: 'pg-log-word' }, el('span', { 'aria-hidden': 'true' }, `${entry.icon} `), entry.word),
          el('time', { class: 'pg-log-time' }, time),
        ),
      );
    }
    log.append(fragment);
    while (log.childElementCount > LOG_LIMIT) log.firstElementChild!.remove();
    empty.hidden = log.childElementCount > 0;
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function announce(): void {
    announceTimer = 0;
    if (unannounced.length === 0) return;
    lastAnnounce = Date.now();
    announcer.textContent = announcement(unannounced);
    unannounced = [];
  }

  function onResult(result: UserResultView): void {
    const previous = statuses.get(result.user);
    if (previous) {
      const next = nextUserStatus(previous, result);
      statuses.set(result.user, next);
      const label = labels.get(result.user)!;
      setText(label, next.label);
      label.dataset.tone = next.tone;
    }
    pendingRows.push(result);
    if (pendingRows.length > LOG_LIMIT * 2) pendingRows = pendingRows.slice(-LOG_LIMIT);
    if (!frame) frame = requestAnimationFrame(flushRows);
    unannounced.push(result);
    if (unannounced.length > 500) unannounced = unannounced.slice(-500);
    if (!announceTimer) announceTimer = window.setTimeout(announce, Math.max(300, lastAnnounce + ANNOUNCE_EVERY_MS - Date.now()));
  }

  cleanups.push(store.onUserResult(onResult));
  let lastPhase = store.state.phase.name;
  cleanups.push(
    store.subscribe((state) => {
      paintTraffic();
      // A new lab (a new supervisor) has new users with empty cookie jars: forget the old labels.
      if (state.phase.name !== lastPhase) {
        if (state.phase.name === 'connecting') {
          for (const u of USERS) {
            statuses.set(u.id, INITIAL_STATUS);
            const label = labels.get(u.id)!;
            setText(label, INITIAL_STATUS.label);
            label.dataset.tone = INITIAL_STATUS.tone;
          }
        }
        lastPhase = state.phase.name;
      }
    }),
  );

  return {
    dispose() {
      for (const cleanup of cleanups) cleanup();
      cancelAnimationFrame(frame);
      clearTimeout(announceTimer);
      root.remove();
    },
  };
};
