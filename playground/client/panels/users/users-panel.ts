/**
 * The users panel: Alice, Bob and Carol with Log in / Visit / Log out and their unexpected logouts of the last
 * minute, steady traffic, the lesson's own actions, and the log. The checks' traffic never touches the learner's
 * users or counts: it is grouped per check in the log.
 */
import css from './users.css?inline';
import type { Disposable, MountUsersPanel, UsersPanelOptions } from '../../components.ts';
import type { LabState, LabStore, UserResultView } from '../../session/lab-store.ts';
import { addStyles, el } from '../../dom.ts';
import { addPanelStyles } from '../panel-ui.ts';
import { checkOf } from './check-traffic.ts';
import { createLessonActions } from './lesson-actions.ts';
import { ResultWindow, windowSummary } from './result-window.ts';
import { createTrafficSwitch } from './traffic-switch.ts';
import { createUserRows } from './user-rows.ts';
import { createUsersLog } from './users-log.ts';

export { LOG_LIMIT } from './users-log.ts';

/** How often the decaying counts are redrawn: never more than once a second. */
const TALLY_EVERY_MS = 1000;

const CHECKS_RESET = 'Reset when the checks started: they restart the instances and empty Redis, and the lab clears your users’ cookies.';
const CHECKS_NOTICE = 'Checks started: the lab cleared your users’ cookies (instances restart, Redis is emptied). Check traffic is grouped below.';

export const mountUsersPanel: MountUsersPanel = (element: HTMLElement, store: LabStore, options: UsersPanelOptions): Disposable => {
  addPanelStyles();
  addStyles('users', css);
  const { send, lab } = options;
  const uid = Math.random().toString(36).slice(2, 8);

  const actions = lab.actions.length ? createLessonActions({ uid, actions: lab.actions, send }) : null;
  const rows = createUserRows({ uid, send, onAct: (user) => actions?.select(user) });
  const traffic = lab.controls.includes('traffic') ? createTrafficSwitch(send) : null;
  const log = createUsersLog();
  const recent = new ResultWindow();

  const extras = traffic || actions ? el('div', { class: 'pg-users-extras' }, traffic?.node ?? null, actions?.node ?? null) : null;
  const root = el('div', { class: 'pg-userspanel' }, rows.node, extras, log.node);
  element.append(root);

  // ---- the last minute's counts, redrawn on a timer while they can change ----
  let ticker = 0;
  const tick = () => {
    rows.render(recent);
    log.renderSummary(store.state.traffic ? windowSummary(recent.totals()) : '');
    if (recent.empty && !store.state.traffic) {
      clearInterval(ticker);
      ticker = 0;
    }
  };
  const keepTicking = () => {
    ticker ||= window.setInterval(tick, TALLY_EVERY_MS);
  };

  const onResult = (result: UserResultView) => {
    const check = checkOf(result);
    if (check) {
      log.addCheck({ ...result, check });
      return;
    }
    rows.apply(result);
    recent.add(result);
    log.add(result);
    keepTicking();
  };
  const offResults = store.onUserResult(onResult);

  let lastPhase = store.state.phase.name;
  let lastTraffic = store.state.traffic;
  let checksRunning = store.state.checks.running;
  const onState = (state: LabState) => {
    traffic?.render(state.traffic);
    if (state.traffic !== lastTraffic) {
      lastTraffic = state.traffic;
      if (state.traffic) keepTicking();
      // The checks stop the learner's traffic right before the lab clears the users' cookies: results that came
      // in between the start of the checks and now were real, but are no longer the users' state.
      else if (state.checks.running) rows.reset(CHECKS_RESET);
      tick();
    }
    // A new lab (a new supervisor) has new users with empty cookie jars: forget the old labels and counts.
    if (state.phase.name !== lastPhase) {
      lastPhase = state.phase.name;
      if (state.phase.name === 'connecting') {
        rows.reset();
        recent.clear();
        tick();
      }
    }
    if (state.checks.running !== checksRunning) {
      checksRunning = state.checks.running;
      if (checksRunning) {
        rows.reset(CHECKS_RESET);
        log.beginChecks(CHECKS_NOTICE);
      }
    }
  };
  const offState = store.subscribe(onState);

  return {
    dispose() {
      offResults();
      offState();
      clearInterval(ticker);
      rows.dispose();
      traffic?.dispose();
      actions?.dispose();
      log.dispose();
      root.remove();
    },
  };
};
