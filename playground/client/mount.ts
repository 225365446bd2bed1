/**
 * Playground entry point. Lesson pages import this module lazily, only once the playground
 * panel is on screen, and call `mountPlayground(element, lesson)`.
 *
 * For now it renders a labelled, inert stand-in with the same regions and buttons the real
 * playground will have (Editor, Cluster, Users, Terminal; Run, Check, Reset, Show solution),
 * and shows the starter file so the learner can already read the code.
 */
// `?inline`: the CSS travels inside this lazily loaded chunk. A plain `import './x.css'` would be
// hoisted by Astro into every lesson page's HTML, outside the lazy boundary.
import css from './placeholder.css?inline';
import type { LabFile, LessonClientData } from './types.ts';

const USERS = ['Alice', 'Bob', 'Carol'] as const;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value !== undefined) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function region(label: string, ...children: (Node | string)[]): HTMLElement {
  return el('section', { class: `pg-region pg-${label.toLowerCase()}`, 'aria-label': label }, el('h2', { class: 'pg-title' }, label), ...children);
}

function instanceName(i: number): string {
  return String.fromCharCode(65 + i);
}

function openFile(lesson: LessonClientData): LabFile | undefined {
  const wanted = lesson.lab.open ?? lesson.lab.entry;
  return lesson.starter.find((f) => f.path === wanted) ?? lesson.starter[0];
}

function addStyles(): void {
  if (document.querySelector('style[data-playground-styles]')) return;
  const style = document.createElement('style');
  style.dataset.playgroundStyles = '';
  style.textContent = css;
  document.head.append(style);
}

export function mountPlayground(element: HTMLElement, lesson: LessonClientData): void {
  addStyles();
  const file = openFile(lesson);

  const toolbar = el(
    'div',
    { class: 'pg-toolbar', role: 'toolbar', 'aria-label': 'Lab actions' },
    ...['Run', 'Check', 'Reset', 'Show solution'].map((name) => el('button', { type: 'button', disabled: '' }, name)),
  );
  const notice = el(
    'p',
    { class: 'pg-notice' },
    'The playground is coming: editing and running the cluster here is not ready yet. Until then, run this lab in a terminal with ',
    el('code', {}, `npm run lab -- ${lesson.slug}`),
    '.',
  );

  const files = el(
    'ul',
    { class: 'pg-files', 'aria-label': 'Lab files' },
    ...lesson.starter.map((f) =>
      el('li', f === file ? { 'aria-current': 'true' } : {}, f.path, lesson.lab.readonly.includes(f.path) ? ' (read-only)' : ''),
    ),
  );
  const code = file
    ? el('pre', { class: 'pg-code', tabindex: '0', 'aria-label': `${file.path} (read-only preview)` }, el('code', {}, file.content))
    : el('p', { class: 'pg-empty' }, 'This lesson has no starter files yet.');

  const instances = el(
    'ul',
    { class: 'pg-instances' },
    el('li', { class: 'pg-node pg-balancer' }, el('strong', {}, 'Balancer'), el('span', {}, `${lesson.lab.strategy} · stopped`)),
    ...Array.from({ length: lesson.lab.instances }, (_, i) =>
      el('li', { class: 'pg-node' }, el('strong', {}, `Instance ${instanceName(i)}`), el('span', {}, 'stopped')),
    ),
    el('li', { class: 'pg-node' }, el('strong', {}, 'Redis'), el('span', {}, 'stopped')),
  );

  const users = el(
    'ul',
    { class: 'pg-user-list' },
    ...USERS.map((name) => el('li', {}, el('strong', {}, name), el('span', {}, 'logged out'))),
  );

  const terminal = el('pre', { class: 'pg-terminal-output', tabindex: '0', 'aria-label': 'Terminal output' }, '$ ');

  element.replaceChildren(
    el(
      'div',
      { class: 'pg-root', 'data-playground-stub': lesson.slug },
      toolbar,
      notice,
      el('div', { class: 'pg-grid' }, region('Editor', files, code), region('Cluster', instances), region('Users', users), region('Terminal', terminal)),
    ),
  );
}
