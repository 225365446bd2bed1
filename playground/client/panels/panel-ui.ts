/** Small DOM helpers shared by the cluster, users and checks panels (no framework). */
import css from './panels.css?inline';
import { addStyles, el } from '../dom.ts';

/** The panels' stylesheet, injected once (see mount.ts on why CSS travels as a string in the lazy chunk). */
export function addPanelStyles(): void {
  addStyles('panels', css);
}

export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'the command failed';
}

/** A message slot next to a control: shows the readable error of a failed command until the next attempt. */
export function errorSlot(label: string): { node: HTMLElement; show(message: string): void; clear(): void } {
  const node = el('p', { class: 'pg-cmd-error', role: 'alert', hidden: '' });
  return {
    node,
    show(message) {
      node.hidden = false;
      node.textContent = `✕ ${label}: ${message}`;
    },
    clear() {
      node.hidden = true;
      node.textContent = '';
    },
  };
}

/** Runs a command and puts a rejection's readable message in `slot` (never swallowed, never thrown on). */
export async function runInto(slot: ReturnType<typeof errorSlot>, action: () => Promise<void>): Promise<boolean> {
  slot.clear();
  try {
    await action();
    return true;
  } catch (error) {
    slot.show(errorMessage(error));
    return false;
  }
}
