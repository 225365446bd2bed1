/**
 * "Show solution": the learner's code and the solution side by side in monaco's diff editor, both read-only. Nothing
 * changes in the learner's files until they press "Apply" for one file; the shell makes that undoable. On narrow
 * screens monaco shows the same diff inline.
 */
import type * as Monaco from 'monaco-editor/editor';
import type { LabFile } from '../../protocol/lab-file.ts';
import { el, tabKeyTarget } from '../dom.ts';

export interface SolutionDiffOptions {
  solution: LabFile[];
  readonly: string[];
  /** The learner's current files (read each time the view refreshes). */
  current(): LabFile[];
  /** Replace one file with the solution's version (undoable in the shell). */
  apply(path: string): void;
  /** Put back what the last Apply replaced. */
  undo(): void;
  /** Path shown first. */
  open?: string;
}

export interface SolutionDiff {
  /** Re-read the learner's files (after an undo elsewhere). */
  refresh(): void;
  readonly open: boolean;
}

/** Narrower than this, the two versions are shown inline (one column, removed lines red, added lines green). */
const SIDE_BY_SIDE_MIN = 720;

function button(label: string, attributes: Record<string, string> = {}): HTMLButtonElement {
  return el('button', { type: 'button', class: 'pg-button', ...attributes }, label);
}

export async function openSolutionDiff(options: SolutionDiffOptions): Promise<SolutionDiff> {
  const { monaco, languageFor } = await import('./editor-monaco.ts');
  const files = options.solution.filter((f) => !options.readonly.includes(f.path));
  const contentOf = (path: string) => options.current().find((f) => f.path === path)?.content ?? '';

  const tablist = el('div', { class: 'pg-diff-tabs', role: 'tablist', 'aria-label': 'Solution files' });
  const legend = el('span', { class: 'pg-diff-legend-group' });
  const host = el('div', { class: 'pg-diff-host', role: 'tabpanel', id: 'pg-diff-panel' });
  const applyButton = button('Apply');
  const undoButton = button('Undo', { hidden: '' });
  const close = button('Close');
  const note = el('p', { class: 'pg-diff-note', role: 'status' });
  const dialog = el(
    'dialog',
    { class: 'pg-dialog pg-diff-dialog', 'aria-labelledby': 'pg-diff-title', 'aria-describedby': 'pg-diff-help' },
    el('div', { class: 'pg-diff-head' }, el('h2', { id: 'pg-diff-title' }, 'Solution'), close),
    el(
      'p',
      { id: 'pg-diff-help', class: 'pg-diff-help' },
      legend,
      ' Nothing in your files changes unless you press Apply, and Apply can be undone.',
    ),
    tablist,
    host,
    el('div', { class: 'pg-dialog-actions pg-diff-actions' }, note, undoButton, applyButton),
  );
  document.body.append(dialog);

  const diff = monaco.editor.createDiffEditor(host, {
    automaticLayout: true,
    readOnly: true,
    originalEditable: false,
    // Side by side or inline is decided below from the dialog's width, so the legend can say which it is.
    renderSideBySide: true,
    useInlineViewWhenSpaceIsLimited: false,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    fontSize: 13,
    lineHeight: 20,
    fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--font-mono').trim() || 'ui-monospace, monospace',
    renderOverviewRuler: false,
    fixedOverflowWidgets: true,
    stickyScroll: { enabled: false },
    originalAriaLabel: 'Your code, read-only',
    modifiedAriaLabel: 'The solution, read-only',
  });
  let sideBySide: boolean | undefined;
  const fitLayout = () => {
    const wide = host.clientWidth >= SIDE_BY_SIDE_MIN;
    if (wide === sideBySide) return;
    sideBySide = wide;
    diff.updateOptions({ renderSideBySide: wide });
    legend.replaceChildren(
      el('span', { class: 'pg-diff-legend pg-diff-mine' }, wide ? 'Left: your code' : 'Red lines: your code'),
      ' ',
      el('span', { class: 'pg-diff-legend pg-diff-theirs' }, wide ? 'Right: the solution' : 'Green lines: the solution'),
    );
  };
  const widthWatch = new ResizeObserver(fitLayout);
  widthWatch.observe(host);
  fitLayout();
  const models = new Map<string, { original: Monaco.editor.ITextModel; modified: Monaco.editor.ITextModel }>();
  for (const file of files) {
    const language = languageFor(file.path);
    models.set(file.path, {
      original: monaco.editor.createModel(contentOf(file.path), language),
      modified: monaco.editor.createModel(file.content, language),
    });
  }

  const tabs: HTMLButtonElement[] = [];
  let active = files.find((f) => f.path === options.open)?.path ?? files.find((f) => f.content !== contentOf(f.path))?.path ?? files[0]?.path;

  const render = () => {
    for (const file of files) {
      const m = models.get(file.path)!;
      const now = contentOf(file.path);
      if (m.original.getValue() !== now) m.original.setValue(now);
    }
    files.forEach((file, i) => {
      const same = contentOf(file.path) === file.content;
      const tab = tabs[i]!;
      const selected = file.path === active;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      tab.querySelector('.pg-diff-state')!.textContent = same ? 'same as yours' : 'differs';
      tab.classList.toggle('pg-diff-same', same);
    });
    if (!active) return;
    const same = contentOf(active) === files.find((f) => f.path === active)!.content;
    applyButton.textContent = `Apply ${active}`;
    applyButton.disabled = same;
    applyButton.title = same ? `${active} already matches the solution` : `Replace your ${active} with the solution's (can be undone)`;
  };

  const select = (path: string, focus = false) => {
    active = path;
    const m = models.get(path)!;
    diff.setModel({ original: m.original, modified: m.modified });
    host.setAttribute('aria-labelledby', tabs[files.findIndex((f) => f.path === path)]!.id);
    render();
    if (focus) tabs[files.findIndex((f) => f.path === path)]?.focus();
  };

  files.forEach((file, i) => {
    const tab = el(
      'button',
      { type: 'button', role: 'tab', id: `pg-diff-tab-${i}`, class: 'pg-diff-tab', 'aria-controls': host.id },
      el('span', {}, file.path),
      ' ',
      el('span', { class: 'pg-diff-state' }),
    );
    tab.addEventListener('click', () => select(file.path));
    tabs.push(tab);
    tablist.append(tab);
  });
  tablist.addEventListener('keydown', (event) => {
    const index = tabs.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    const next = tabKeyTarget(event.key, index, tabs.length);
    if (next < 0) return;
    event.preventDefault();
    select(files[next]!.path, true);
  });

  applyButton.addEventListener('click', () => {
    if (!active) return;
    options.apply(active);
    note.textContent = `Your ${active} now matches the solution.`;
    undoButton.hidden = false;
    render();
  });
  undoButton.addEventListener('click', () => {
    options.undo();
    note.textContent = 'Undone: your code is back.';
    undoButton.hidden = true;
    render();
  });

  let isOpen = true;
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    isOpen = false;
    dialog.remove();
    // Disposing models while the diff worker still computes makes monaco throw: let it finish first.
    // waitForDiff exists on the widget but not in monaco's public typings, hence the narrow cast.
    const computing = (diff as unknown as { waitForDiff?: () => Promise<void> }).waitForDiff?.() ?? Promise.resolve();
    const settled = Promise.race([computing, new Promise((resolve) => setTimeout(resolve, 3000))]).catch(() => undefined);
    void settled.then(() => {
      widthWatch.disconnect();
      diff.dispose();
      for (const m of models.values()) {
        m.original.dispose();
        m.modified.dispose();
      }
    });
  });

  if (!files.length) {
    host.replaceChildren(el('p', {}, 'This lesson has no solution files to show.'));
    applyButton.hidden = true;
  } else if (active) select(active);
  dialog.showModal();
  (tabs[files.findIndex((f) => f.path === active)] ?? close).focus();

  return {
    refresh: () => {
      if (!isOpen) return;
      undoButton.hidden = true;
      note.textContent = '';
      render();
    },
    get open() {
      return isOpen;
    },
  };
}
