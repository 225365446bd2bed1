/**
 * Shortcuts that work from anywhere on the lesson page, the editor included: caught on the document before the
 * focused element (monaco, a button, the prose) sees them, so each runs once. A modal dialog keeps its own keys.
 */
import { typingTarget } from '../shortcuts.ts';

export interface PageShortcuts {
  run(): void;
  check(): void;
  save(): void;
  help(): void;
}

const mod = (event: KeyboardEvent) => (event.ctrlKey || event.metaKey) && !event.altKey;

export function listenForShortcuts(actions: PageShortcuts): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || document.querySelector('dialog[open]')) return;
    let action: (() => void) | undefined;
    if (mod(event) && event.key === 'Enter') action = event.shiftKey ? actions.check : actions.run;
    else if (mod(event) && !event.shiftKey && (event.key === 's' || event.key === 'S')) action = actions.save;
    else if (event.key === '?' && !event.ctrlKey && !event.metaKey && !event.altKey && !typingTarget(event.target)) action = actions.help;
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    action();
  };
  document.addEventListener('keydown', onKey, true);
  return () => document.removeEventListener('keydown', onKey, true);
}
