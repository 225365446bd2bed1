/**
 * Playground entry point. Lesson pages import this module lazily, once the playground panel is on screen, and
 * call `mountPlayground(element, lesson)`. It composes the shell: the layout (shell/layout.ts), the toolbar, the
 * notices, the page-wide shortcuts, the learner's files (workspace/) and the lab session (session/), and loads each
 * panel lazily into its region.
 */
// `?inline`: the CSS travels inside this lazily loaded chunk instead of being hoisted into every lesson page.
import css from './playground.css?inline';
import { createRuntime, planRuntimes, probeLabHost, requestedRuntime, webContainerSupported } from '../runtime/choose.ts';
import type { Disposable, EditorHandle } from './components.ts';
import { addStyles, el } from './dom.ts';
import { LabSession } from './session/lab-session.ts';
import { LabStore, type LabState } from './session/lab-store.ts';
import { describeStatus } from './session/status-text.ts';
import { draftKeeper, DRAFT_WORDS, type DraftState } from './workspace/drafts.ts';
import { applySolutionFile, importFiles, isChange, resetToStarter, restoreDraft } from './workspace/file-operations.ts';
import { Workspace } from './workspace/workspace.ts';
import type { SolutionDiff } from './workspace/solution-diff.ts';
import { markProgress } from './progress.ts';
import { MOD, shortcutsDialog } from './shortcuts.ts';
import { confirmDialog } from './shell/confirm-dialog.ts';
import { listenForShortcuts } from './shell/keyboard.ts';
import { createLayout, type RegionName } from './shell/layout.ts';
import { NoticeBoard } from './shell/notices.ts';
import { mountNoticeView } from './shell/notice-view.ts';
import { describeRunningCode } from './shell/running-code.ts';
import type { LessonClientData } from './types.ts';

function button(label: string, attributes: Record<string, string> = {}): HTMLButtonElement {
  return el('button', { type: 'button', class: 'pg-button', ...attributes }, label);
}

/** Asks the lesson page to let the prose give way while the learner works (LessonSplit listens). */
const WORKING_EVENT = 'playground:working';

export function mountPlayground(element: HTMLElement, lesson: LessonClientData): void {
  addStyles('playground', css);
  const store = new LabStore();
  const notices = new NoticeBoard();
  const disposables: Disposable[] = [];

  // ---- toolbar, status, file tools ----
  const run = button('Run', { class: 'pg-button pg-primary', 'aria-keyshortcuts': 'Control+Enter', title: `Run the cluster (${MOD}+Enter)` });
  const stop = button('Stop', { title: 'Stop every instance' });
  const check = button('Check', { 'aria-keyshortcuts': 'Control+Shift+Enter', title: `Run the graded checks (${MOD}+Shift+Enter)` });
  const reset = button('Reset', { title: 'Back to the starter files (can be undone)' });
  const solution = button('Solution', { 'aria-haspopup': 'dialog', title: 'Compare your code with the solution', 'aria-label': 'Show solution' });
  const keys = button('Shortcuts', { class: 'pg-button pg-quiet pg-keys-button', 'aria-haspopup': 'dialog', 'aria-keyshortcuts': 'Shift+?', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts' });
  const toolbar = el('div', { class: 'pg-toolbar', role: 'toolbar', 'aria-label': 'Lab actions' }, run, stop, check, reset, solution, keys);
  const statusText = el('span', { class: 'pg-status-text' });
  const reconnect = button('Reconnect', { hidden: '' });
  const useHost = button('Use the lab host', { hidden: '' });
  const runningCode = el('p', { class: 'pg-running-code', role: 'status', hidden: '' });
  const status = el('div', { class: 'pg-status' }, el('p', { role: 'status', class: 'pg-status-line' }, statusText), reconnect, useHost);
  const bar = el('div', { class: 'pg-bar' }, toolbar, status);

  const draftStatus = el('span', { class: 'pg-draft', role: 'status', 'data-state': 'idle' });
  const exportZip = button('Export zip', { class: 'pg-button pg-small', title: 'Download this lesson’s files as a zip' });
  const importZip = button('Import zip', { class: 'pg-button pg-small', title: 'Load files from a zip exported here (can be undone)' });
  const importInput = el('input', { type: 'file', accept: '.zip,application/zip', hidden: '', 'aria-label': 'Zip file to import' });
  const fileTools = el('div', { class: 'pg-file-tools', role: 'toolbar', 'aria-label': 'Your files' }, draftStatus, exportZip, importZip, importInput);

  const noticeView = mountNoticeView(notices, () => run);
  disposables.push(noticeView);
  const editorTools = el('div', { class: 'pg-editor-tools' }, fileTools, runningCode);
  const layout = createLayout({ bar, notices: noticeView.node, editorTools });
  disposables.push(layout);
  const { root, slots } = layout;
  element.replaceChildren(root);

  // ---- the learner's files ----
  const readonly = lesson.lab.readonly;
  const showDraft = (state: DraftState) => {
    draftStatus.dataset.state = state;
    draftStatus.textContent = DRAFT_WORDS[state] || 'Edits are kept in this browser';
    draftStatus.title = state === 'unavailable' ? 'This browser will not let the page store data (private mode or full storage). Export a zip to keep your work.' : '';
  };
  const drafts = draftKeeper(lesson.slug, (state) => {
    showDraft(state);
    if (state === 'unavailable') notices.set('storage', 'Your work will not be kept: this browser blocks or has no room for saved data. Export a zip to keep it.', { tone: 'error' });
  });
  showDraft('idle');
  const workspace = new Workspace(lesson.starter, drafts);
  let editor: EditorHandle | undefined;

  // ---- the lab ----
  const hostInfo = probeLabHost();
  const requested = requestedRuntime();
  const paintRunningCode = () => {
    const serving = store.state.instances.some((i) => i.state === 'up' || i.state === 'starting' || i.state === 'unhealthy');
    const code = describeRunningCode(session.runningFiles, workspace.files(), serving, MOD);
    runningCode.hidden = code.state === 'none';
    runningCode.dataset.state = code.state;
    runningCode.textContent = code.text;
  };
  const session = new LabSession({
    store,
    lesson: lesson.slug,
    lab: lesson.lab,
    checks: lesson.checks,
    files: workspace.files,
    plan: async () => planRuntimes(requested, await hostInfo, webContainerSupported()),
    create: createRuntime,
    notice: (message) => notices.set('runtime', message),
    onRunningFiles: (files) => {
      // What the lab now has is saved, whatever the editor marked before.
      if (files) editor?.markSaved(files);
      paintRunningCode();
    },
  });

  // What the lab itself reports as wrong (a refused command, a failed deploy) holds until the next action, the
  // next phase, or until nothing serves any more (then the status line tells what did happen).
  const stopErrors = store.onError((message) => notices.set('lab', message, { tone: 'error' }));
  disposables.push({ dispose: () => void stopErrors() });
  const act = (what: () => Promise<unknown>) => {
    notices.clear('action', 'lab', 'runtime', 'checks');
    what().catch((error: Error) => notices.set('action', error.message, { tone: 'error' }));
  };

  const doRun = () => {
    element.dispatchEvent(new CustomEvent(WORKING_EVENT, { bubbles: true }));
    // From the code on a narrow screen, Run shows the cluster; a learner watching the terminal keeps watching it.
    if (layout.shown('editor') && !layout.shown('cluster')) layout.reveal('cluster');
    act(() => session.run());
  };
  const doCheck = () => {
    if (check.disabled) return;
    layout.reveal('checks');
    act(() => session.check());
  };
  const deploy = async () => {
    notices.clear('action', 'lab', 'save');
    await session.deploy();
  };
  run.addEventListener('click', doRun);
  stop.addEventListener('click', () => act(() => session.stop()));
  check.addEventListener('click', doCheck);
  reconnect.addEventListener('click', () => act(() => session.reconnect()));
  useHost.addEventListener('click', () => act(() => session.useRuntime('server')));

  const saveFiles = (changed: { path: string; content: string }[]) =>
    act(async () => {
      const outcome = await session.save(changed);
      const names = changed.map((f) => f.path).join(', ');
      if (outcome === 'deployed') notices.set('save', `Saved ${names} and rolled it out to every instance.`, { tone: 'success' });
      else if (outcome === 'saved') notices.set('save', `Saved ${names}. No instance is serving: press Run to start the cluster with it.`);
      else notices.set('save', `Saved ${names} in the editor. Press Run to start the cluster with it.`);
      notices.clear('files');
    });

  // ---- file operations: each is an edit like typing (undoable, unsaved until saved) ----
  const applyChange = (change: ReturnType<typeof resetToStarter>): (() => void) | undefined => {
    if (!isChange(change)) {
      notices.set('files', change.summary);
      return undefined;
    }
    const undo = workspace.apply(change);
    notices.clear('save');
    notices.set('files', `${change.summary} ${session.runningFiles ? `${MOD}+S rolls it out to the cluster.` : 'Run starts the cluster with it.'}`, {
      undo: () => {
        undo();
        diffView?.refresh();
      },
    });
    paintRunningCode();
    return undo;
  };

  reset.addEventListener('click', () => {
    if (!editor) return notices.set('files', 'The editor is still loading; try again in a moment.');
    const change = resetToStarter(workspace.files(), lesson.starter, readonly);
    if (!isChange(change)) return applyChange(change);
    const current = editor;
    void confirmDialog({
      title: 'Reset to the starter?',
      text: `This replaces your changes to ${change.changed.join(', ')} with the starter files. You can undo it right after.`,
      confirm: 'Reset',
    }).then((yes) => {
      if (yes) void applyChange(change);
      current.focus();
    });
  });

  // Show solution: a diff beside the learner's code; "Apply" one file at a time, each undoable.
  let diffView: SolutionDiff | undefined;
  let undoApply: (() => void) | undefined;
  solution.addEventListener('click', () => {
    if (!editor) return notices.set('files', 'The editor is still loading; try again in a moment.');
    act(async () => {
      const { openSolutionDiff } = await import('./workspace/solution-diff.ts');
      diffView = await openSolutionDiff({
        solution: lesson.solution,
        readonly,
        open: lesson.lab.open ?? lesson.lab.entry,
        current: workspace.files,
        apply(path) {
          undoApply = applyChange(applySolutionFile(workspace.files(), lesson.solution, path));
        },
        undo: () => {
          undoApply?.();
          undoApply = undefined;
          notices.clear('files');
          diffView?.refresh();
          paintRunningCode();
        },
      });
    });
  });

  // Export and import the lesson's files as a zip.
  exportZip.addEventListener('click', () =>
    act(async () => {
      const { exportZip: build, exportFileName } = await import('./workspace/lab-zip.ts');
      const blob = new Blob([build(lesson.slug, workspace.files()) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: exportFileName(lesson.slug) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }),
  );
  importZip.addEventListener('click', () => {
    if (!editor) return notices.set('files', 'The editor is still loading; try again in a moment.');
    importInput.value = '';
    importInput.click();
  });
  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (!file || !editor) return;
    act(async () => {
      const { readLessonZip } = await import('./workspace/lab-zip.ts');
      const result = readLessonZip(new Uint8Array(await file.arrayBuffer()), { slug: lesson.slug, known: lesson.starter.map((f) => f.path), readonly });
      if (!result.ok) return notices.set('files', `Import refused: ${result.reason} Your files are unchanged.`, { tone: 'error' });
      void applyChange(importFiles(workspace.files(), result.files, file.name, result.ignored));
      importZip.focus();
    });
  });

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
      save: () => (editor ? editor.save() : notices.set('files', 'The editor is still loading; try again in a moment.')),
      help: openShortcuts,
    }),
  });

  // ---- state on the page ----
  let hasHost = false;
  let announcedPass = false;
  let lastPhase = store.state.phase.name;
  let wasServing = false;
  void hostInfo.then((info) => {
    hasHost = Boolean(info);
    store.setPhase(store.state.phase);
  });
  store.subscribe((state: LabState) => {
    statusText.textContent = describeStatus(state);
    status.dataset.tone = statusTone(state);
    reconnect.hidden = state.phase.name !== 'lost';
    // A forced in-browser sandbox that failed: offer the lab host when this site has one.
    useHost.hidden = !(state.phase.name === 'failed' && requested === 'webcontainer' && hasHost);
    const busy = state.phase.name === 'connecting' || state.phase.name === 'starting';
    root.toggleAttribute('data-busy', busy);
    run.textContent = state.instances.length > 0 ? 'Restart' : 'Run';
    stop.disabled = state.instances.every((i) => i.state === 'stopped' || i.state === 'crashed');
    check.disabled = state.checks.running;
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

  // ---- panels: each in its own chunk, loaded in parallel; one that fails to load says so in its region ----
  const load = async <T>(region: RegionName, importer: () => Promise<T>, use: (module: T) => Promise<Disposable> | Disposable) => {
    try {
      disposables.push(await use(await importer()));
    } catch (error) {
      slots[region].replaceChildren(el('p', { class: 'pg-error' }, `This panel did not load: ${(error as Error).message}`));
    }
  };
  // A draft that hangs (a blocked database) must not hold up the editor.
  const draftLoaded = Promise.race([drafts.load(), new Promise<undefined>((resolve) => setTimeout(resolve, 2000))]).catch(() => undefined);
  const mountEditorPanel = async ({ mountEditor }: typeof import('./workspace/editor.ts')) => {
    const draft = await draftLoaded;
    const restored = restoreDraft(lesson.starter, draft, readonly);
    if (isChange(restored)) workspace.open(restored.next);
    slots.editor.replaceChildren();
    editor = await mountEditor(slots.editor, {
      files: workspace.files(),
      onChange: (files) => {
        drafts.save(files);
        paintRunningCode();
      },
      readonly,
      open: lesson.lab.open ?? lesson.lab.entry,
      onRun: doRun,
      onSave: saveFiles,
    });
    workspace.attach(editor);
    if (isChange(restored)) notices.set('files', restored.summary);
    if (drafts.state !== 'unavailable') showDraft(draft ? 'saved' : 'idle');
    return editor;
  };
  const options = { send: session.send, lab: lesson.lab };
  void Promise.allSettled([
    load('editor', () => import('./workspace/editor.ts'), mountEditorPanel),
    load('terminal', () => import('./panels/terminals/terminals.ts'), ({ mountTerminals }) => mountTerminals(slots.terminal, store)),
    load('cluster', () => import('./panels/cluster/cluster-view.ts'), ({ mountClusterView }) => mountClusterView(slots.cluster, store, { ...options, deploy })),
    load('users', () => import('./panels/users/users-panel.ts'), ({ mountUsersPanel }) => mountUsersPanel(slots.users, store, options)),
    load('checks', () => import('./panels/checks/checks-panel.ts'), ({ mountChecksPanel }) =>
      mountChecksPanel(slots.checks, store, { runChecks: () => session.check(), slug: lesson.slug }),
    ),
  ]).then(() => {
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

/** The status line's look: a problem reads as one. */
function statusTone(state: LabState): 'ok' | 'busy' | 'bad' | 'idle' {
  const { phase, instances } = state;
  if (phase.name === 'lost' || phase.name === 'failed') return 'bad';
  if (phase.name === 'connecting' || phase.name === 'starting') return 'busy';
  if (phase.name !== 'running' || instances.length === 0) return 'idle';
  return instances.some((i) => i.state === 'crashed' || i.state === 'unhealthy') || !instances.some((i) => i.state === 'up') ? 'bad' : 'ok';
}
