/**
 * Playground entry point. Lesson pages import this module lazily, once the playground panel is on screen, and
 * call `mountPlayground(element, lesson)`. It lays out the regions (Editor, Cluster, Users, Terminal, Checks),
 * wires the toolbar (Run, Stop, Check, Reset, Show solution) to a LabSession, and loads each panel lazily.
 */
// `?inline`: the CSS travels inside this lazily loaded chunk instead of being hoisted into every lesson page.
import css from './playground.css?inline';
import { createRuntime, planRuntimes, probeLabHost, requestedRuntime, webContainerSupported } from '../runtime/choose.ts';
import type { LabFile } from '../runtime/types.ts';
import type { Disposable, EditorHandle } from './components.ts';
import { addStyles, el } from './dom.ts';
import { LabSession } from './lab-session.ts';
import { LabStore, type LabState } from './lab-store.ts';
import { markProgress } from './progress.ts';
import { describeStatus } from './status-text.ts';
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
  const check = button('Check', { title: 'Run the graded checks' });
  const reset = button('Reset', { title: 'Back to the starter files (can be undone)' });
  const solution = button('Show solution', { 'aria-haspopup': 'dialog' });
  const statusText = el('span', { class: 'pg-status-text' });
  const reconnect = button('Reconnect', { hidden: '' });
  const useHost = button('Use the lab host', { hidden: '' });
  const status = el('div', { class: 'pg-status' }, el('p', { role: 'status', class: 'pg-status-line' }, statusText), reconnect, useHost);
  const notice = el('p', { class: 'pg-notice', hidden: '' });
  const toolbar = el('div', { class: 'pg-toolbar', role: 'toolbar', 'aria-label': 'Lab actions' }, run, stop, check, reset, solution);

  const editorSlot = el('div', { class: 'pg-slot pg-editor-slot' }, 'Loading the editor…');
  const terminalSlot = el('div', { class: 'pg-slot pg-terminal-slot' });
  const clusterSlot = el('div', { class: 'pg-slot' });
  const usersSlot = el('div', { class: 'pg-slot' });
  const checksSlot = el('div', { class: 'pg-slot' });
  const root = el(
    'div',
    { class: 'pg-root' },
    el('div', { class: 'pg-bar' }, toolbar, status),
    notice,
    el(
      'div',
      { class: 'pg-grid' },
      region('Editor', 'pg-editor', editorSlot),
      region('Cluster', 'pg-cluster', clusterSlot),
      region('Users', 'pg-users', usersSlot),
      region('Checks', 'pg-checks', checksSlot),
      region('Terminal', 'pg-terminal', terminalSlot),
    ),
  );
  element.replaceChildren(root);

  // Until the editor has loaded, the starter files are the learner's files.
  let editor: EditorHandle | undefined;
  const currentFiles = (): LabFile[] => editor?.files() ?? lesson.starter;
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
    const before = editor.files();
    const changed = before.some((f) => lesson.starter.find((s) => s.path === f.path)?.content !== f.content);
    if (!changed) return say('Your files already match the starter.');
    editor.setFiles(lesson.starter);
    say('Files reset to the starter.', () => editor?.setFiles(before));
  });
  solution.addEventListener('click', () => showSolution(lesson, () => editor, say));

  let hasHost = false;
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
    if (state.checks.status === 'pass' && !state.checks.running) markProgress(lesson.slug, 'passed');
  });

  // Panels load in parallel, each in its own chunk; a panel that fails to load says so in its region.
  const load = async <T>(slot: HTMLElement, importer: () => Promise<T>, use: (module: T) => Promise<Disposable> | Disposable) => {
    try {
      disposables.push(await use(await importer()));
    } catch (error) {
      slot.replaceChildren(el('p', { class: 'pg-error' }, `This panel did not load: ${(error as Error).message}`));
    }
  };
  const mountEditorPanel = async ({ mountEditor }: typeof import('./editor.ts')) => {
    editorSlot.replaceChildren();
    editor = await mountEditor(editorSlot, {
      files: lesson.starter,
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
    return editor;
  };
  const options = { send: session.send, lab: lesson.lab };
  void Promise.allSettled([
    load(editorSlot, () => import('./editor.ts'), mountEditorPanel),
    load(terminalSlot, () => import('./terminals.ts'), ({ mountTerminals }) => mountTerminals(terminalSlot, store)),
    load(clusterSlot, () => import('./cluster-view.ts'), ({ mountClusterView }) => mountClusterView(clusterSlot, store, options)),
    load(usersSlot, () => import('./users-panel.ts'), ({ mountUsersPanel }) => mountUsersPanel(usersSlot, store, options)),
    load(checksSlot, () => import('./checks-panel.ts'), ({ mountChecksPanel }) => mountChecksPanel(checksSlot, store, { runChecks: () => session.check() })),
  ]).then(() => {
    // Every panel has loaded (or said why not): tests and benchmarks wait for this.
    root.dataset.playgroundReady = '';
  });

  // Ctrl/Cmd+Enter runs from anywhere in the playground (the editor handles it inside itself too).
  root.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter' && !event.defaultPrevented) {
      event.preventDefault();
      doRun();
    }
  });

  // The lab is destroyed with all its processes when the tab goes away.
  window.addEventListener('pagehide', () => {
    for (const d of disposables) d.dispose();
    void session.dispose();
  });
}

/** A read-only look at the solution, with a way to copy it in that can be undone. Issue #7 makes this a diff. */
function showSolution(lesson: LessonClientData, editor: () => EditorHandle | undefined, say: (m: string, undo?: () => void) => void): void {
  const close = button('Close');
  const use = button('Copy the solution into the editor');
  const files = lesson.solution.filter((f) => f.path !== 'package.json');
  const dialog = el(
    'dialog',
    { class: 'pg-dialog', 'aria-label': 'Solution' },
    el('h2', {}, 'Solution'),
    el('p', {}, 'Read it side by side with your code. Copying it in replaces your files, and can be undone.'),
    ...files.map((f) => el('section', { 'aria-label': f.path }, el('h3', {}, f.path), el('pre', { tabindex: '0' }, el('code', {}, f.content)))),
    el('div', { class: 'pg-dialog-actions' }, use, close),
  );
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  close.addEventListener('click', () => dialog.close());
  use.addEventListener('click', () => {
    const current = editor();
    if (current) {
      const before = current.files();
      current.setFiles(lesson.solution);
      say('The solution is in the editor.', () => current.setFiles(before));
    }
    dialog.close();
  });
  dialog.showModal();
}
