/** Tiny DOM builder: element, attributes, children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | undefined> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) node.setAttribute(key, value);
  }
  node.append(...children);
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
