/**
 * The Editor panel: one tab per lab file (read-only ones locked), monaco below, a footer with the save state and
 * the shortcuts. Ctrl/Cmd+S saves (hands the changed files to the shell), Ctrl/Cmd+Enter runs.
 *
 * Monaco and its setup (editor-monaco.ts) load on demand when the panel mounts; the tab strip shows at once.
 */
import css from './editor.css?inline';
import type { EditorHandle, EditorOptions, MountEditor } from '../components.ts';
import type { LabFile } from '../../protocol/lab-file.ts';
import { addStyles, el, tabKeyTarget } from '../dom.ts';
import type * as Monaco from 'monaco-editor/editor';

type MonacoModule = typeof import('./editor-monaco.ts');

let ids = 0;

const LOCK_ICON =
  '<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5 7V5a3 3 0 0 1 6 0v2h.5A1.5 1.5 0 0 1 13 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-7A1.5 1.5 0 0 1 3 13.5v-5A1.5 1.5 0 0 1 4.5 7H5Zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2Z"/></svg>';

const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const MOD = isMac ? '⌘' : 'Ctrl';

interface Tab {
  path: string;
  readonly: boolean;
  saved: string;
  model: Monaco.editor.ITextModel;
  viewState: Monaco.editor.ICodeEditorViewState | null;
  button: HTMLButtonElement;
  unsavedMark: HTMLElement;
}

export const mountEditor: MountEditor = async (element: HTMLElement, options: EditorOptions): Promise<EditorHandle> => {
  addStyles('editor', css);
  const id = `ed${++ids}`;
  const tablist = el('div', { class: 'ed-tabs', role: 'tablist', 'aria-label': 'Lab files' });
  const host = el('div', { class: 'ed-monaco' });
  const loading = el('p', { class: 'ed-loading' }, 'Loading the editor…');
  const panel = el('div', { class: 'ed-panel', role: 'tabpanel', id: `${id}-panel` }, loading, host);
  const status = el('span', { class: 'ed-status', role: 'status' });
  const keys = el(
    'span',
    { class: 'ed-keys' },
    el('kbd', {}, `${MOD}+S`),
    ' save · ',
    el('kbd', {}, `${MOD}+Enter`),
    ' run · ',
    el('kbd', {}, 'Ctrl+M'),
    ' Tab moves focus',
  );
  const root = el('div', { class: 'ed-root' }, tablist, panel, el('div', { class: 'ed-foot' }, status, keys));
  element.replaceChildren(root);

  // Monaco arrives while the tabs are already on screen.
  let setup: MonacoModule;
  try {
    setup = await import('./editor-monaco.ts');
  } catch (error) {
    loading.textContent = `The editor did not load: ${(error as Error).message}`;
    loading.classList.add('ed-error');
    throw error;
  }
  const { monaco } = setup;
  void setup.loadLibraryTypes();
  loading.remove();

  const readonly = new Set(options.readonly);
  const tabs: Tab[] = [];
  let active: Tab | undefined;
  let statusNote = '';

  const editor = monaco.editor.create(host, {
    automaticLayout: true,
    fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--font-mono').trim() || 'ui-monospace, monospace',
    fontSize: 13,
    lineHeight: 20,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    tabSize: 2,
    insertSpaces: true,
    padding: { top: 8, bottom: 8 },
    renderLineHighlight: 'line',
    // Hovers and suggestions may leave the panel instead of being clipped by it.
    fixedOverflowWidgets: true,
    stickyScroll: { enabled: false },
    wordBasedSuggestions: 'off',
    'semanticHighlighting.enabled': false,
    accessibilitySupport: 'auto',
  });

  const changed = (): Tab[] => tabs.filter((t) => !t.readonly && t.model.getValue() !== t.saved);
  const files = (): LabFile[] => tabs.map((t) => ({ path: t.path, content: t.model.getValue() }));

  const renderStatus = () => {
    const dirty = changed();
    if (dirty.length) {
      const names = dirty.map((t) => t.path).join(', ');
      status.textContent = `Unsaved: ${names} — ${MOD}+S saves`;
      status.dataset.state = 'unsaved';
    } else {
      status.textContent = statusNote || (active?.readonly ? `${active.path} is read-only in this lesson` : 'All changes saved');
      status.dataset.state = active?.readonly && !statusNote ? 'readonly' : 'saved';
    }
  };

  const renderTab = (tab: Tab) => {
    const dirty = !tab.readonly && tab.model.getValue() !== tab.saved;
    tab.unsavedMark.hidden = !dirty;
    tab.button.classList.toggle('ed-dirty', dirty);
  };

  const select = (tab: Tab, focus = false) => {
    if (active === tab) {
      if (focus) tab.button.focus();
      return;
    }
    if (active) {
      active.viewState = editor.saveViewState();
      active.button.setAttribute('aria-selected', 'false');
      active.button.tabIndex = -1;
    }
    active = tab;
    tab.button.setAttribute('aria-selected', 'true');
    tab.button.tabIndex = 0;
    panel.setAttribute('aria-labelledby', tab.button.id);
    editor.setModel(tab.model);
    if (tab.viewState) editor.restoreViewState(tab.viewState);
    const language = setup.languageName(tab.model.getLanguageId());
    editor.updateOptions({
      readOnly: tab.readonly,
      readOnlyMessage: { value: `${tab.path} is read-only in this lesson.` },
      ariaLabel: `${tab.path}, ${language}${tab.readonly ? ', read-only' : ''}`,
    });
    statusNote = '';
    renderStatus();
    if (focus) tab.button.focus();
  };

  const addTab = (file: LabFile): Tab => {
    const locked = readonly.has(file.path);
    const uri = monaco.Uri.parse(`file:///${file.path.replace(/^\/+/, '')}`);
    monaco.editor.getModel(uri)?.dispose();
    const model = monaco.editor.createModel(file.content, setup.languageFor(file.path), uri);
    const unsavedMark = el('span', { class: 'ed-unsaved', title: 'Unsaved changes' }, el('span', { 'aria-hidden': 'true' }, '●'), el('span', { class: 'ed-vh' }, ' unsaved'));
    unsavedMark.hidden = true;
    const button = el(
      'button',
      { type: 'button', role: 'tab', class: 'ed-tab', id: `${id}-tab-${tabs.length}`, 'aria-selected': 'false', 'aria-controls': panel.id, tabindex: '-1' },
      el('span', { class: 'ed-name' }, file.path),
      unsavedMark,
    );
    if (locked) {
      const lock = el('span', { class: 'ed-lock' });
      lock.innerHTML = LOCK_ICON;
      lock.append(' read-only');
      button.append(lock);
      button.classList.add('ed-readonly');
    }
    const tab: Tab = { path: file.path, readonly: locked, saved: file.content, model, viewState: null, button, unsavedMark };
    button.addEventListener('click', () => {
      select(tab);
      editor.focus();
    });
    model.onDidChangeContent(() => {
      renderTab(tab);
      statusNote = '';
      renderStatus();
      options.onChange?.(files());
    });
    tablist.append(button);
    tabs.push(tab);
    return tab;
  };

  const save = () => {
    const dirty = changed();
    if (!dirty.length) {
      statusNote = 'Nothing to save: no changes since the last save';
      renderStatus();
      return;
    }
    for (const tab of dirty) tab.saved = tab.model.getValue();
    for (const tab of dirty) renderTab(tab);
    statusNote = `Saved ${dirty.map((t) => t.path).join(', ')}`;
    renderStatus();
    options.onSave(dirty.map((t) => ({ path: t.path, content: t.saved })));
  };

  // Files the learner edits first (in the lesson's order), then the read-only ones.
  for (const file of options.files.filter((f) => !readonly.has(f.path))) addTab(file);
  for (const file of options.files.filter((f) => readonly.has(f.path))) addTab(file);
  const first = tabs.find((t) => t.path === options.open) ?? tabs.find((t) => !t.readonly) ?? tabs[0];
  if (first) select(first);
  else {
    host.hidden = true;
    panel.prepend(el('p', { class: 'ed-loading' }, 'This lesson has no files to edit.'));
  }

  editor.addAction({
    id: 'lab.save',
    label: 'Save lab files',
    keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS],
    run: save,
  });
  editor.addAction({
    id: 'lab.run',
    label: 'Run the lab',
    keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
    run: () => options.onRun(),
  });

  // Tabs: arrow keys move between files (roving tabindex, automatic activation), Home/End jump.
  tablist.addEventListener('keydown', (event) => {
    const index = tabs.findIndex((t) => t.button === document.activeElement);
    if (index < 0) return;
    const next = tabKeyTarget(event.key, index, tabs.length);
    if (next < 0) return;
    event.preventDefault();
    select(tabs[next]!, true);
  });
  // Ctrl/Cmd+S anywhere in the panel (monaco handles it itself when it has focus, and marks the event handled).
  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || !(event.ctrlKey || event.metaKey) || event.altKey) return;
    if (event.key === 's' || event.key === 'S') {
      event.preventDefault();
      save();
    }
  };
  root.addEventListener('keydown', onKey);

  return {
    files,
    setFiles(next: LabFile[]) {
      for (const file of next) {
        // A file the lab has never had is unsaved from the start (the lab knows it as empty).
        const tab = tabs.find((t) => t.path === file.path) ?? Object.assign(addTab(file), { saved: '' });
        if (tab.model.getValue() !== file.content) {
          // An edit (not setValue) so Ctrl+Z can bring the learner's text back.
          tab.model.pushStackElement();
          tab.model.pushEditOperations([], [{ range: tab.model.getFullModelRange(), text: file.content }], () => null);
          tab.model.pushStackElement();
        }
        renderTab(tab);
      }
      // Files the new set does not have go away (a solution with fewer files).
      for (const tab of [...tabs]) {
        if (next.some((f) => f.path === tab.path)) continue;
        tabs.splice(tabs.indexOf(tab), 1);
        tab.button.remove();
        if (active === tab) {
          active = undefined;
          if (tabs[0]) select(tabs[0]);
        }
        tab.model.dispose();
      }
      statusNote = '';
      renderStatus();
    },
    markSaved(saved: LabFile[]) {
      for (const file of saved) {
        const tab = tabs.find((t) => t.path === file.path);
        if (!tab) continue;
        tab.saved = file.content;
        renderTab(tab);
      }
      statusNote = '';
      renderStatus();
    },
    save,
    unsaved: () => changed().map((t) => t.path),
    focus: () => editor.focus(),
    dispose() {
      root.removeEventListener('keydown', onKey);
      editor.dispose();
      for (const tab of tabs) tab.model.dispose();
      root.remove();
    },
  };
};
