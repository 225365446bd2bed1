/** The notice line under the toolbar: the board's current message, styled by its tone, with Undo and Dismiss. */
import { el } from '../dom.ts';
import type { Disposable } from '../components.ts';
import type { NoticeBoard } from './notices.ts';

/** `focusAfter`: where focus goes when the button that had it goes away with the message. */
export function mountNoticeView(board: NoticeBoard, focusAfter: () => HTMLElement): { node: HTMLElement } & Disposable {
  // Two live regions: errors are alerts, the rest polite; only one of them holds the message at a time.
  const polite = el('div', { class: 'pg-notice-live', 'aria-live': 'polite' });
  const urgent = el('div', { class: 'pg-notice-live', role: 'alert' });
  const node = el('div', { class: 'pg-notices' }, polite, urgent);
  const stop = board.subscribe((notice) => {
    polite.replaceChildren();
    urgent.replaceChildren();
    node.hidden = !notice;
    if (!notice) return;
    const message = el('p', { class: 'pg-notice', 'data-tone': notice.tone }, el('span', { class: 'pg-notice-text' }, notice.tone === 'error' ? el('strong', {}, 'Error: ') : null, notice.text));
    const { undo, situation } = notice;
    if (undo) {
      const undoButton = el('button', { type: 'button', class: 'pg-button pg-small' }, 'Undo');
      undoButton.addEventListener('click', () => {
        board.clear(situation);
        undo();
        focusAfter().focus();
      });
      message.append(undoButton);
    }
    const dismiss = el('button', { type: 'button', class: 'pg-button pg-small pg-quiet pg-notice-dismiss', 'aria-label': 'Dismiss this message' }, '✕');
    dismiss.addEventListener('click', () => {
      board.clear(situation);
      focusAfter().focus();
    });
    message.append(dismiss);
    (notice.tone === 'error' ? urgent : polite).append(message);
  });
  return { node, dispose: () => void stop() };
}
