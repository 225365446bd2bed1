/** A child for `el`; null, undefined and false are skipped, so optional parts can be written inline. */
export type Child = Node | string | null | undefined | false;

/** Tiny DOM builder: element, attributes (undefined ones skipped), children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Inject a stylesheet once per page (CSS imported with `?inline`, so it stays in the lazy chunk). */
export function addStyles(id: string, css: string): void {
  if (document.querySelector(`style[data-styles="${id}"]`)) return;
  const style = document.createElement('style');
  style.dataset.styles = id;
  style.textContent = css;
  document.head.append(style);
}

/**
 * Where a tab-list key moves focus (ArrowLeft/ArrowRight wrap around, Home/End jump), or -1 for any other key.
 * Shared by every tab list in the playground.
 */
export function tabKeyTarget(key: string, index: number, length: number): number {
  if (key === 'ArrowRight') return (index + 1) % length;
  if (key === 'ArrowLeft') return (index - 1 + length) % length;
  if (key === 'Home') return 0;
  if (key === 'End') return length - 1;
  return -1;
}
