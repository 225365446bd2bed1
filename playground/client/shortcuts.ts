/**
 * The playground's keyboard shortcuts: the list shown in the "Keyboard shortcuts" dialog, and `?` to open it when
 * focus is not in the editor or a text field.
 */
import { el } from './dom.ts';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
export const MOD = isMac ? '⌘' : 'Ctrl';

export interface Shortcut {
  keys: string[];
  what: string;
}

export const SHORTCUTS: { group: string; items: Shortcut[] }[] = [
  {
    group: 'Anywhere on the lesson page',
    items: [
      { keys: [`${MOD}+Enter`], what: 'Run (or restart) the cluster' },
      { keys: [`${MOD}+Shift+Enter`], what: 'Check: run the graded checks' },
      { keys: [`${MOD}+S`], what: 'Save, and roll the change out to a running cluster' },
      { keys: ['?'], what: 'Show this list (when the focus is not in the editor)' },
      { keys: ['Tab', 'Shift+Tab'], what: 'Move between buttons, regions and the editor' },
      { keys: ['Esc'], what: 'Close a dialog' },
    ],
  },
  {
    group: 'In the editor',
    items: [
      { keys: [`${MOD}+Z`, `${MOD}+Shift+Z`], what: 'Undo, redo (also undoes Reset, Apply and Import)' },
      { keys: ['Ctrl+M'], what: 'Switch Tab between inserting a tab and moving focus' },
      { keys: ['←', '→'], what: 'On the file tabs: the previous or next file' },
      { keys: ['F1'], what: 'Every editor command' },
    ],
  },
  {
    group: 'In a terminal',
    items: [{ keys: ['Tab', 'Esc'], what: 'Leave the terminal (Esc goes back to its tab)' }],
  },
  {
    group: 'In the solution diff',
    items: [
      { keys: ['F7', 'Shift+F7'], what: 'Next or previous difference' },
      { keys: ['Alt+F2'], what: 'Accessible diff viewer (reads the changes line by line)' },
    ],
  },
];

/** Is the keyboard focus somewhere typing `?` means a question mark (editor, inputs)? */
export function typingTarget(target: EventTarget | null): boolean {
  const node = target as HTMLElement | null;
  if (!node || typeof node.closest !== 'function') return false;
  return Boolean(node.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], .monaco-editor, .monaco-diff-editor, .xterm'));
}

/** The dialog listing every shortcut; opened with `dialog.showModal()`. */
export function shortcutsDialog(): HTMLDialogElement {
  const close = el('button', { type: 'button', class: 'pg-button' }, 'Close');
  const dialog = el(
    'dialog',
    { class: 'pg-dialog pg-keys-dialog', 'aria-labelledby': 'pg-keys-title' },
    el('div', { class: 'pg-diff-head' }, el('h2', { id: 'pg-keys-title' }, 'Keyboard shortcuts'), close),
    ...SHORTCUTS.map(({ group, items }) =>
      el(
        'section',
        { 'aria-label': group },
        el('h3', {}, group),
        el(
          'dl',
          { class: 'pg-keys' },
          ...items.flatMap(({ keys, what }) => [
            el('dt', {}, ...keys.flatMap((k, i) => (i ? [' or ', el('kbd', {}, k)] : [el('kbd', {}, k)]))),
            el('dd', {}, what),
          ]),
        ),
      ),
    ),
  );
  close.addEventListener('click', () => dialog.close());
  return dialog;
}
