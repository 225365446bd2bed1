/**
 * Keeping keyboard focus where it was. A control that becomes unavailable under the focus is marked
 * aria-disabled instead of disabled (a disabled button drops focus to <body>); a control about to disappear
 * hands focus to the nearest sensible one first.
 */

/** Marks `button` available or not; it stays focusable either way, and `onPress` ignores it while unavailable. */
export function setAvailable(button: HTMLButtonElement, available: boolean): void {
  if (available) button.removeAttribute('aria-disabled');
  else button.setAttribute('aria-disabled', 'true');
}

export function isAvailable(button: HTMLButtonElement): boolean {
  return button.getAttribute('aria-disabled') !== 'true' && !button.disabled;
}

/** Runs `handler` on a click (mouse, Enter, Space) unless the button is unavailable. */
export function onPress(button: HTMLButtonElement, handler: () => void): void {
  button.addEventListener('click', (event) => {
    if (!isAvailable(button)) {
      event.preventDefault();
      return;
    }
    handler();
  });
}

export function hasFocusWithin(node: Element): boolean {
  const active = node.ownerDocument.activeElement;
  return active !== null && active !== node.ownerDocument.body && node.contains(active);
}

/**
 * If focus is inside `leaving` (about to be removed or hidden), moves it to the first target still in the page
 * and not inside `leaving`.
 */
export function rescueFocus(leaving: Element, ...targets: (HTMLElement | null | undefined)[]): void {
  if (!hasFocusWithin(leaving)) return;
  const target = targets.find((t) => t && t.isConnected && !leaving.contains(t) && !t.closest('[hidden]'));
  target?.focus();
}
