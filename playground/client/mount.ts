/**
 * Playground entry point. Lesson pages import this module lazily, once the playground panel is on screen, and
 * call `mountPlayground(element, lesson)`. It composes the shell — the layout (shell/layout.ts), the toolbar, the
 * notices, the page-wide shortcuts —, the learner's files (workspace/) and the lab session (session/), and loads
 * each panel lazily into its region.
 */
// `?inline`: the CSS travels inside this lazily loaded chunk instead of being hoisted into every lesson page.
import css from './playground.css?inline';
import { createRuntime, planRuntimes, probeLabHost, requestedRuntime, webContainerSupported } from '../runtime/choose.ts';
import type { Disposable, EditorHandle } from './components.ts';
import { addStyles, el } from './dom.ts';
import { LabSession } from './session/lab-session.ts';
import { LabStore, type LabState } from './session/lab-store.ts';
import { draftKeeper } from './workspace/drafts.ts';
import { fileActions } from './workspace/file-actions.ts';
import { isChange, restoreDraft } from './workspace/file-operations.ts';
import { Workspace } from './workspace/workspace.ts';
import { markProgress } from './progress.ts';
import { MOD, shortcutsDialog } from './shortcuts.ts';
import { listenForShortcuts } from './shell/keyboard.ts';
import { createLayout } from './shell/layout.ts';
import { NoticeBoard } from './shell/notices.ts';
import { mountNoticeView } from './shell/notice-view.ts';
import { loadPanels } from './shell/panel-loader.ts';
import { describeRunningCode } from './shell/running-code.ts';
import { createToolbar, isUnavailable } from './shell/toolbar.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { LessonClientData } from './types.ts';

/** Asks the lesson page to let the prose give way while the learner works (LessonSplit listens). */
const WORKING_EVENT = 'playground:working';
const STILL_LOADING = 'The editor is still loading; try again in a moment.';

export function mountPlayground(element: HTMLElement, lesson: LessonClientData): void {
  addStyles('playground', css);
  const store = new LabStore();
  const notices = new NoticeBoard();
  const disposables: Disposable[] = [];
  const toolbar = createToolbar();
  const { run, stop, check, reconnect, useHost, keys } = toolbar;

  // ---- the learner's files ----
  const readonly = lesson.lab.readonly;
  let editor: EditorHandle | undefined;
  const drafts = draftKeeper(lesson.slug, (state) => {
    files.showDraft(state);
    if (state === 'unavailable') notices.set('storage', 'Your work will not be kept: this browser blocks or has no room for saved data. Export a zip to keep it.', { tone: 'error' });
  });
  const workspace = new Workspace(lesson.starter, drafts);

  // ---- the lab ----
  const hostInfo = probeLabHost();
  const requested = requestedRuntime();
  const session = new LabSession({
    store,
    lesson: lesson.slug,
    lab: lesson.lab,
    checks: lesson.checks,
    files: workspace.files,
    plan: async () => planRuntimes(requested, await hostInfo, webContainerSupported()),
    create: createRuntime,
    notice: (message) => notices.set('runtime', message),
    onRunningFiles: (running) => {
      // What the lab now has is saved, whatever the editor marked before.
      if (running) editor?.markSaved(running);
      paintRunningCode();
    },
  });
  const act = (what: () => Promise<unknown>) => {
    notices.clear('action', 'lab', 'runtime', 'checks');
    what().catch((error: Error) => notices.set('action', error.message, { tone: 'error' }));
  };

  const files = fileActions({
    lesson,
    workspace,
    notices,
    editor: () => editor,
    runningFiles: () => session.runningFiles,
    reset: toolbar.reset,
    solution: toolbar.solution,
    act,
    changed: () => paintRunningCode(),
  });
  files.showDraft('idle');

  // ---- the page ----
  const runningCode = el('p', { class: 'pg-running-code', role: 'status', hidden: '' });
  const noticeView = mountNoticeView(notices, () => run);
  const layout = createLayout({ bar: toolbar.bar, notices: noticeView.node, editorTools: el('div', { class: 'pg-editor-tools' }, files.tools, runningCode) });
  disposables.push(noticeView, layout);
  const { root, slots } = layout;
  element.replaceChildren(root);

  function paintRunningCode(): void {
    const serving = store.state.instances.some((i) => i.state === 'up' || i.state === 'starting' || i.state === 'unhealthy');
    const code = describeRunningCode(session.runningFiles, workspace.files(), serving, MOD);
    runningCode.hidden = code.state === 'none';
    runningCode.dataset.state = code.state;
    runningCode.textContent = code.text;
  }

  // ---- actions ----
  const doRun = () => {
    element.dispatchEvent(new CustomEvent(WORKING_EVENT, { bubbles: true }));
    // From the code on a narrow screen, Run shows the cluster; a learner watching the terminal keeps watching it.
    if (layout.shown('editor') && !layout.shown('cluster')) layout.reveal('cluster');
    act(() => session.run());
  };
  const doCheck = () => {
    if (isUnavailable(check)) return;
    layout.reveal('checks');
    act(() => session.check());
  };
  const deploy = async () => {
    notices.clear('action', 'lab', 'save');
    await session.deploy();
  };
  const saveFiles = (changed: LabFile[]) =>
    act(async () => {
      const outcome = await session.save(changed);
      const names = changed.map((f) => f.path).join(', ');
      if (outcome === 'deployed') notices.set('save', `Saved ${names} and rolled it out to every instance.`, { tone: 'success' });
      else if (outcome === 'saved') notices.set('save', `Saved ${names}. No instance is serving: press Run to start the cluster with it.`);
      else notices.set('save', `Saved ${names} in the editor. Press Run to start the cluster with it.`);
      notices.clear('files');
    });
  run.addEventListener('click', doRun);
  stop.addEventListener('click', () => {
    if (!isUnavailable(stop)) act(() => session.stop());
  });
  check.addEventListener('click', doCheck);
  reconnect.addEventListener('click', () => act(() => session.reconnect()));
  useHost.addEventListener('click', () => act(() => session.useRuntime('server')));

  // ---- shortcuts ----
  const openShortcuts = () => {
    if (document.querySelector('dialog.pg-keys-dialog[open]')) return;
    const returnTo = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : keys;
    const dialog = shortcutsDialog();
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      dialog.remove();
      returnTo.focus();
    });
    dialog.showModal();
  };
  keys.addEventListener('click', openShortcuts);
  disposables.push({
    dispose: listenForShortcuts({
      run: doRun,
      check: doCheck,
      save: () => (editor ? editor.save() : notices.set('files', STILL_LOADING)),
      help: openShortcuts,
    }),
  });

  // ---- what the page says about the lab ----
  // What the lab itself reports as wrong (a refused command, a failed deploy) holds until the next action, the
  // next phase, or until nothing serves any more (then the status line tells what did happen).
  const stopErrors = store.onError((message) => notices.set('lab', message, { tone: 'error' }));
  disposables.push({ dispose: () => void stopErrors() });
  let hasHost = false;
  let announcedPass = false;
  let lastPhase = store.state.phase.name;
  let wasServing = false;
  void hostInfo.then((info) => {
    hasHost = Boolean(info);
    store.setPhase(store.state.phase);
  });
  store.subscribe((state: LabState) => {
    // A forced in-browser sandbox that failed: offer the lab host when this site has one.
    toolbar.paint(state, requested === 'webcontainer' && hasHost);
    if (state.phase.name !== lastPhase) {
      lastPhase = state.phase.name;
      notices.clear('lab');
    }
    const serving = state.instances.some((i) => i.state === 'up' || i.state === 'unhealthy');
    if (wasServing && !serving) notices.clear('lab', 'save');
    wasServing = serving;
    if (state.checks.running) announcedPass = false;
    else if (state.checks.status === 'pass' && !announcedPass) {
      announcedPass = true;
      markProgress(lesson.slug, 'passed');
      notices.set('checks', 'Every check passed: this lesson is marked complete on the course map.', { tone: 'success' });
    }
    paintRunningCode();
  });

  // ---- panels ----
  // A draft that hangs (a blocked database) must not hold up the editor.
  const draftLoaded = Promise.race([drafts.load(), new Promise<undefined>((resolve) => setTimeout(resolve, 2000))]).catch(() => undefined);
  const mountEditorPanel = async (): Promise<Disposable> => {
    const [{ mountEditor }, draft] = await Promise.all([import('./workspace/editor.ts'), draftLoaded]);
    const restored = restoreDraft(lesson.starter, draft, readonly);
    if (isChange(restored)) workspace.open(restored.next);
    slots.editor.replaceChildren();
    editor = await mountEditor(slots.editor, {
      files: workspace.files(),
      onChange: (changed) => {
        drafts.save(changed);
        paintRunningCode();
      },
      readonly,
      open: lesson.lab.open ?? lesson.lab.entry,
      onRun: doRun,
      onSave: saveFiles,
    });
    workspace.attach(editor);
    if (isChange(restored)) notices.set('files', restored.summary);
    if (drafts.state !== 'unavailable') files.showDraft(draft ? 'saved' : 'idle');
    return editor;
  };
  const options = { send: session.send, lab: lesson.lab };
  void loadPanels(
    slots,
    {
      editor: mountEditorPanel,
      terminal: async () => (await import('./panels/terminals/terminals.ts')).mountTerminals(slots.terminal, store),
      cluster: async () => (await import('./panels/cluster/cluster-view.ts')).mountClusterView(slots.cluster, store, { ...options, deploy }),
      users: async () => (await import('./panels/users/users-panel.ts')).mountUsersPanel(slots.users, store, options),
      checks: async () => (await import('./panels/checks/checks-panel.ts')).mountChecksPanel(slots.checks, store, { runChecks: () => session.check(), slug: lesson.slug }),
    },
    (panel) => disposables.push(panel),
  ).then(() => {
    // Every panel has loaded (or said why not): tests and benchmarks wait for this.
    root.dataset.playgroundReady = '';
  });

  // The lab is destroyed with all its processes when the tab goes away.
  // A hidden tab may never come back (closed, discarded, crashed): write the pending draft now.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') void drafts.flush();
  });
  window.addEventListener('pagehide', () => {
    void drafts.flush();
    for (const d of disposables) d.dispose();
    void session.dispose();
  });
}
