/**
 * Playground entry point. Lesson pages import this module lazily, once the playground panel is on screen, and
 * call `mountPlayground(element, lesson)`. It lays out the regions (Editor, Cluster, Users, Terminal, Checks),
 * wires the toolbar (Run, Stop, Check, Reset, Show solution) to a LabSession, and loads each panel lazily.
 * The learner's work is kept as a draft per lesson (drafts.ts), can be exported and imported as a zip (lab-zip.ts),
 * and compared with the solution in a diff (solution-diff.ts) before any of it is applied.
 */
// `?inline`: the CSS travels inside this lazily loaded chunk instead of being hoisted into every lesson page.
import css from './playground.css?inline';
import { createRuntime, planRuntimes, probeLabHost, requestedRuntime, webContainerSupported } from '../runtime/choose.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { Disposable, EditorHandle } from './components.ts';
import { addStyles, el } from './dom.ts';
import { LabSession } from './session/lab-session.ts';
import { LabStore, type LabState } from './session/lab-store.ts';
import { changedPaths, draftKeeper, DRAFT_WORDS, mergeDraft, type DraftState } from './workspace/drafts.ts';
import { markProgress } from './progress.ts';
import { MOD, shortcutsDialog, typingTarget } from './shortcuts.ts';
import type { SolutionDiff } from './workspace/solution-diff.ts';
import { describeStatus } from './session/status-text.ts';
import type { LessonClientData } from './types.ts';

function region(name: string, className: string, ...children: (Node | string)[]): HTMLElement {
  return el('section', { class: `pg-region ${className}`, 'aria-label': name }, el('h2', { class: 'pg-title' }, name), ...children);
}

function button(label: string, attributes: Record<string, string> = {}): HTMLButtonElement {
  return el('button', { type: 'button', class: 'pg-button', ...attributes }, label);
}

export function mountPlayground(element: HTMLElement, lesson: LessonClientData): void {
  addStyles('playground', css);
  const store = new LabStore();

  const run = button('Run', { class: 'pg-button pg-primary', 'aria-keyshortcuts': 'Control+Enter', title: 'Run the cluster (Ctrl+Enter)' });
  const stop = button('Stop', { title: 'Stop every instance' });
  const check = button('Check', { 'aria-keyshortcuts': 'Control+Shift+Enter', title: `Run the graded checks (${MOD}+Shift+Enter)` });
  const reset = button('Reset', { title: 'Back to the starter files (can be undone)' });
  const solution = button('Show solution', { 'aria-haspopup': 'dialog', title: 'Compare your code with the solution' });
  const keys = button('Keyboard shortcuts', { class: 'pg-button pg-quiet', 'aria-haspopup': 'dialog', 'aria-keyshortcuts': 'Shift+?', title: 'Keyboard shortcuts (?)' });
  const draftStatus = el('span', { class: 'pg-draft', role: 'status', 'data-state': 'idle' });
  const exportZip = button('Export zip', { class: 'pg-button pg-small', title: 'Download this lesson’s files as a zip' });
  const importZip = button('Import zip', { class: 'pg-button pg-small', title: 'Load files from a zip exported here (can be undone)' });
  const importInput = el('input', { type: 'file', accept: '.zip,application/zip', hidden: '', 'aria-label': 'Zip file to import' });
  const fileTools = el('div', { class: 'pg-file-tools', role: 'toolbar', 'aria-label': 'Your files' }, draftStatus, exportZip, importZip, importInput);
  const statusText = el('span', { class: 'pg-status-text' });
  const reconnect = button('Reconnect', { hidden: '' });
  const useHost = button('Use the lab host', { hidden: '' });
  const status = el('div', { class: 'pg-status' }, el('p', { role: 'status', class: 'pg-status-line' }, statusText), reconnect, useHost);
  const notice = el('p', { class: 'pg-notice', hidden: '', 'aria-live': 'polite' });
  const toolbar = el('div', { class: 'pg-toolbar', role: 'toolbar', 'aria-label': 'Lab actions' }, run, stop, check, reset, solution);

  const editorSlot = el('div', { class: 'pg-slot pg-editor-slot' }, 'Loading the editor…');
  const terminalSlot = el('div', { class: 'pg-slot pg-terminal-slot' });
  const clusterSlot = el('div', { class: 'pg-slot' });
  const usersSlot = el('div', { class: 'pg-slot' });
  const checksSlot = el('div', { class: 'pg-slot' });
  const root = el(
    'div',
    { class: 'pg-root' },
    el('div', { class: 'pg-bar' }, toolbar, status, keys),
    notice,
    el(
      'div',
      { class: 'pg-grid' },
      region('Editor', 'pg-editor', fileTools, editorSlot),
      region('Cluster', 'pg-cluster', clusterSlot),
      region('Users', 'pg-users', usersSlot),
      region('Checks', 'pg-checks', checksSlot),
      region('Terminal', 'pg-terminal', terminalSlot),
    ),
  );
  element.replaceChildren(root);

  // Until the editor has loaded, the starter files (or the saved draft) are the learner's files.
  let editor: EditorHandle | undefined;
  let initialFiles = lesson.starter;
  const currentFiles = (): LabFile[] => editor?.files() ?? initialFiles;
  const readonly = lesson.lab.readonly;
  const editable = (files: LabFile[]) => files.filter((f) => !readonly.includes(f.path));

  // Drafts: every edit is kept in this browser; the indicator says whether it was.
  const showDraft = (state: DraftState) => {
    draftStatus.dataset.state = state;
    draftStatus.textContent = DRAFT_WORDS[state] || 'Edits are kept in this browser';
    draftStatus.title = state === 'unavailable' ? 'This browser will not let the page store data (private mode or full storage). Export a zip to keep your work.' : '';
  };
  const drafts = draftKeeper(lesson.slug, (state) => {
    showDraft(state);
    if (state === 'unavailable') say('Your work will not be kept: this browser blocks or has no room for saved data. Export a zip to keep it.');
  });
  showDraft('idle');
  /** Replace the editor's files (undoable in the editor) and keep them as the draft. */
  const replaceFiles = (files: LabFile[]) => {
    editor?.setFiles(files);
    drafts.save(currentFiles());
  };
  const disposables: Disposable[] = [];
  const hostInfo = probeLabHost();
  const requested = requestedRuntime();
  const session = new LabSession({
    store,
    lesson: lesson.slug,
    lab: lesson.lab,
    checks: lesson.checks,
    files: currentFiles,
    plan: async () => planRuntimes(requested, await hostInfo, webContainerSupported()),
    create: createRuntime,
    notice: (message) => say(message),
  });

  const say = (message: string, undo?: () => void) => {
    notice.hidden = false;
    notice.classList.remove('pg-notice-error');
    notice.replaceChildren(message);
    if (undo) {
      const undoButton = button('Undo');
      undoButton.addEventListener('click', () => {
        undo();
        notice.hidden = true;
      });
      notice.append(' ', undoButton);
    }
  };

  // What the lab itself reports as wrong (a refused command, a limit the lab host enforced) is shown, not only logged.
  const stopErrors = store.onError((message) => {
    say(message);
    notice.classList.add('pg-notice-error');
  });
  disposables.push({ dispose: () => void stopErrors() });

  const act = (what: () => Promise<unknown>) => {
    what().catch((error: Error) => say(error.message));
  };

  const doRun = () => act(() => session.run());
  run.addEventListener('click', doRun);
  stop.addEventListener('click', () => act(() => session.stop()));
  check.addEventListener('click', () => act(() => session.check()));
  reconnect.addEventListener('click', () => act(() => session.reconnect()));
  useHost.addEventListener('click', () => act(() => session.useRuntime('server')));

  reset.addEventListener('click', () => {
    if (!editor) return;
    const current = editor;
    const before = current.files();
    const changed = [...changedPaths(editable(before), lesson.starter)];
    if (!changed.length) return say('Your files already match the starter.');
    void confirmDialog({
      title: 'Reset to the starter?',
      text: `This replaces your changes to ${changed.join(', ')} with the starter files. You can undo it right after.`,
      confirm: 'Reset',
    }).then((yes) => {
      if (!yes) return current.focus();
      replaceFiles(lesson.starter);
      say('Files reset to the starter.', () => replaceFiles(before));
    });
  });

  // Show solution: a diff beside the learner's code; "Apply" one file at a time, each undoable.
  let diffView: SolutionDiff | undefined;
  let beforeApply: LabFile[] | undefined;
  const undoApply = () => {
    if (beforeApply) replaceFiles(beforeApply);
    beforeApply = undefined;
    diffView?.refresh();
  };
  solution.addEventListener('click', () => {
    if (!editor) return say('The editor is still loading; try again in a moment.');
    act(async () => {
      const { openSolutionDiff } = await import('./workspace/solution-diff.ts');
      diffView = await openSolutionDiff({
        solution: lesson.solution,
        readonly,
        open: lesson.lab.open ?? lesson.lab.entry,
        current: currentFiles,
        apply(path) {
          const file = lesson.solution.find((f) => f.path === path);
          if (!file) return;
          beforeApply = currentFiles();
          const next = currentFiles().map((f) => (f.path === path ? file : f));
          if (!next.some((f) => f.path === path)) next.push(file);
          replaceFiles(next);
          say(`Applied the solution's ${path}.`, undoApply);
        },
        undo: () => {
          undoApply();
          notice.hidden = true;
        },
      });
    });
  });

  // Export and import the lesson's files as a zip.
  exportZip.addEventListener('click', () =>
    act(async () => {
      const { exportZip: build, exportFileName } = await import('./workspace/lab-zip.ts');
      const blob = new Blob([build(lesson.slug, currentFiles()) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: exportFileName(lesson.slug) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }),
  );
  importZip.addEventListener('click', () => {
    if (!editor) return say('The editor is still loading; try again in a moment.');
    importInput.value = '';
    importInput.click();
  });
  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (!file || !editor) return;
    act(async () => {
      const { readLessonZip } = await import('./workspace/lab-zip.ts');
      const result = readLessonZip(new Uint8Array(await file.arrayBuffer()), {
        slug: lesson.slug,
        known: lesson.starter.map((f) => f.path),
        readonly,
      });
      if (!result.ok) {
        say(`Import refused: ${result.reason} Your files are unchanged.`);
        notice.classList.add('pg-notice-error');
        return;
      }
      const before = currentFiles();
      const incoming = new Map(result.files.map((f) => [f.path, f.content]));
      const next = before.map((f) => (incoming.has(f.path) ? { path: f.path, content: incoming.get(f.path)! } : f));
      for (const f of result.files) if (!before.some((b) => b.path === f.path)) next.push(f);
      replaceFiles(next);
      const skipped = result.ignored.length ? ` (${result.ignored.join(', ')} is read-only here and was left as it is)` : '';
      say(`Imported ${result.files.map((f) => f.path).join(', ')} from ${file.name}${skipped}.`, () => replaceFiles(before));
    });
  });

  // The list of shortcuts: a button, and "?" when the focus is not somewhere you type.
  const openShortcuts = () => {
    if (document.querySelector('dialog.pg-keys-dialog[open]')) return;
    const dialog = shortcutsDialog();
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      dialog.remove();
      keys.focus();
    });
    dialog.showModal();
  };
  keys.addEventListener('click', openShortcuts);
  const onQuestion = (event: KeyboardEvent) => {
    if (event.key !== '?' || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typingTarget(event.target) || document.querySelector('dialog[open]')) return;
    event.preventDefault();
    openShortcuts();
  };
  document.addEventListener('keydown', onQuestion);

  let hasHost = false;
  let announcedPass = false;
  void hostInfo.then((info) => {
    hasHost = Boolean(info);
    store.setPhase(store.state.phase);
  });
  store.subscribe((state: LabState) => {
    const words = describeStatus(state);
    statusText.textContent = words;
    reconnect.hidden = state.phase.name !== 'lost';
    // A forced in-browser sandbox that failed: offer the lab host when this site has one.
    useHost.hidden = !(state.phase.name === 'failed' && requested === 'webcontainer' && hasHost);
    const busy = state.phase.name === 'connecting' || state.phase.name === 'starting';
    root.toggleAttribute('data-busy', busy);
    run.textContent = state.instances.length > 0 ? 'Restart' : 'Run';
    stop.disabled = state.instances.every((i) => i.state === 'stopped' || i.state === 'crashed');
    check.disabled = state.checks.running;
    if (state.checks.running) announcedPass = false;
    else if (state.checks.status === 'pass' && !announcedPass) {
      announcedPass = true;
      markProgress(lesson.slug, 'passed');
      say('Every check passed: this lesson is marked complete on the course map.');
    }
  });

  // Panels load in parallel, each in its own chunk; a panel that fails to load says so in its region.
  const load = async <T>(slot: HTMLElement, importer: () => Promise<T>, use: (module: T) => Promise<Disposable> | Disposable) => {
    try {
      disposables.push(await use(await importer()));
    } catch (error) {
      slot.replaceChildren(el('p', { class: 'pg-error' }, `This panel did not load: ${(error as Error).message}`));
    }
  };
  // A draft that hangs (a blocked database) must not hold up the editor.
  const draftLoaded = Promise.race([drafts.load(), new Promise<undefined>((resolve) => setTimeout(resolve, 2000))]).catch(() => undefined);
  const mountEditorPanel = async ({ mountEditor }: typeof import('./workspace/editor.ts')) => {
    const draft = await draftLoaded;
    initialFiles = mergeDraft(lesson.starter, draft?.files, readonly);
    editorSlot.replaceChildren();
    editor = await mountEditor(editorSlot, {
      files: initialFiles,
      onChange: (files) => drafts.save(files),
      readonly: lesson.lab.readonly,
      open: lesson.lab.open ?? lesson.lab.entry,
      onRun: doRun,
      onSave: (changed) =>
        act(async () => {
          const outcome = await session.save(changed);
          if (outcome === 'deployed') say(`Saved ${changed.map((f) => f.path).join(', ')} and rolled it out to every instance.`);
          else if (outcome === 'saved') say('Saved. Press Run to start the cluster with it.');
          else say('Saved in the editor. Press Run to start the cluster.');
        }),
    });
    if (draft && changedPaths(editable(initialFiles), lesson.starter).length) {
      const when = new Date(draft.savedAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
      say(`Your draft from ${when} is back. Reset returns to the starter.`);
    }
    if (drafts.state !== 'unavailable') showDraft(draft ? 'saved' : 'idle');
    return editor;
  };
  const options = { send: session.send, lab: lesson.lab };
  void Promise.allSettled([
    load(editorSlot, () => import('./workspace/editor.ts'), mountEditorPanel),
    load(terminalSlot, () => import('./panels/terminals/terminals.ts'), ({ mountTerminals }) => mountTerminals(terminalSlot, store)),
    load(clusterSlot, () => import('./panels/cluster/cluster-view.ts'), ({ mountClusterView }) => mountClusterView(clusterSlot, store, options)),
    load(usersSlot, () => import('./panels/users/users-panel.ts'), ({ mountUsersPanel }) => mountUsersPanel(usersSlot, store, options)),
    load(checksSlot, () => import('./panels/checks/checks-panel.ts'), ({ mountChecksPanel }) => mountChecksPanel(checksSlot, store, { runChecks: () => session.check(), slug: lesson.slug })),
  ]).then(() => {
    // Every panel has loaded (or said why not): tests and benchmarks wait for this.
    root.dataset.playgroundReady = '';
  });

  // Ctrl/Cmd+Shift+Enter checks from anywhere, the editor included (caught before monaco sees it).
  root.addEventListener(
    'keydown',
    (event) => {
      if ((event.ctrlKey || event.metaKey) && event.shiftKey && event.key === 'Enter') {
        event.preventDefault();
        event.stopPropagation();
        if (!check.disabled) act(() => session.check());
      }
    },
    true,
  );
  // Ctrl/Cmd+Enter runs from anywhere in the playground (the editor handles it inside itself too).
  root.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter' && !event.defaultPrevented) {
      event.preventDefault();
      doRun();
    }
  });

  // The lab is destroyed with all its processes when the tab goes away.
  // A hidden tab may never come back (closed, discarded, crashed): write the pending draft now.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') void drafts.flush();
  });
  window.addEventListener('pagehide', () => {
    void drafts.flush();
    document.removeEventListener('keydown', onQuestion);
    for (const d of disposables) d.dispose();
    void session.dispose();
  });
}

/** A small modal question; resolves true when the learner confirms. Esc or Cancel says no. */
function confirmDialog(options: { title: string; text: string; confirm: string }): Promise<boolean> {
  const cancel = button('Cancel');
  const yes = button(options.confirm, { class: 'pg-button pg-danger' });
  const dialog = el(
    'dialog',
    { class: 'pg-dialog pg-confirm', 'aria-labelledby': 'pg-confirm-title', 'aria-describedby': 'pg-confirm-text' },
    el('h2', { id: 'pg-confirm-title' }, options.title),
    el('p', { id: 'pg-confirm-text' }, options.text),
    el('div', { class: 'pg-dialog-actions' }, cancel, yes),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answer = false;
    cancel.addEventListener('click', () => dialog.close());
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    cancel.focus();
  });
}
