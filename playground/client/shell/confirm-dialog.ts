/** A small modal question; resolves true when the learner confirms. Esc or Cancel says no. */
import { el } from '../dom.ts';

export function confirmDialog(options: { title: string; text: string; confirm: string }): Promise<boolean> {
  const cancel = el('button', { type: 'button', class: 'pg-button' }, 'Cancel');
  const yes = el('button', { type: 'button', class: 'pg-button pg-danger' }, options.confirm);
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
