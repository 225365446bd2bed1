/**
 * The read-only xterm the Terminal panel shows output in: loaded on demand, themed from the page's colours (and
 * re-themed when the colour scheme changes), fitted to its box whenever that box changes size and is visible,
 * and keyboard-friendly (Tab leaves it, Escape goes back to the tab).
 */
import type { Terminal as XTerm } from '@xterm/xterm';
import { addStyles, el } from '../../dom.ts';
import { TERMINAL_KEYS, terminalKeyAction } from './terminals-format.ts';

const HIDE_CURSOR = '\x1b[?25l';

export interface XtermScreenOptions {
  /** Id of the paragraph describing the terminal's keys. */
  descriptionId: string;
  scrollback: number;
  /** Escape was pressed in the terminal. */
  onEscape(): void;
}

export interface XtermScreen {
  /** The terminal's keys for screen readers (its textarea is described by it); the caller places it. */
  description: HTMLElement;
  /** Replaces everything on screen with `text`. */
  show(text: string): void;
  /** Appends one line. */
  write(line: string): void;
  dispose(): void;
}

function cssValue(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function terminalTheme(dark: boolean) {
  return dark
    ? {
        background: cssValue('--surface', '#1a1d21'),
        foreground: cssValue('--text', '#e6e8eb'),
        cursor: cssValue('--surface', '#1a1d21'),
        selectionBackground: '#3a4a66',
        red: '#ff8a80',
        brightRed: '#ffb4ab',
        green: '#6fd19a',
        brightGreen: '#8de0b0',
        yellow: '#e8c46a',
        blue: cssValue('--accent', '#7fb0ff'),
        brightBlue: '#a9caff',
        cyan: '#7fd3e6',
        brightBlack: '#8b929c',
      }
    : {
        background: cssValue('--surface', '#ffffff'),
        foreground: cssValue('--text', '#1c1e21'),
        cursor: cssValue('--surface', '#ffffff'),
        selectionBackground: '#c9dafb',
        red: '#b3261e',
        brightRed: '#8c1d18',
        green: '#17663a',
        brightGreen: '#17663a',
        yellow: '#7a5a00',
        blue: cssValue('--accent', '#0a58ca'),
        brightBlue: '#083f91',
        cyan: '#0b6374',
        brightBlack: '#5f6670',
      };
}

/** Loads xterm and its fit addon, and opens a terminal in `screen`. */
export async function openXtermScreen(screen: HTMLElement, options: XtermScreenOptions): Promise<XtermScreen> {
  const [{ Terminal }, { FitAddon }, { default: xtermCss }] = await Promise.all([
    import('@xterm/xterm'),
    import('@xterm/addon-fit'),
    import('@xterm/xterm/css/xterm.css?inline'),
  ]);
  addStyles('xterm', xtermCss);

  const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
  const term: XTerm = new Terminal({
    disableStdin: true,
    convertEol: true,
    scrollback: options.scrollback,
    fontFamily: cssValue('--font-mono', 'ui-monospace, monospace'),
    fontSize: 12,
    lineHeight: 1.2,
    cursorBlink: false,
    cursorStyle: 'bar',
    cursorInactiveStyle: 'none',
    theme: terminalTheme(darkQuery.matches),
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  term.write(HIDE_CURSOR); // output only: no cursor

  // Output views only (stdin is disabled): Tab must not be swallowed by xterm's textarea, or focus is trapped.
  const description = el('p', { class: 'term-vh', id: options.descriptionId }, TERMINAL_KEYS);
  term.textarea?.setAttribute('aria-label', 'Process output (read-only)');
  term.textarea?.setAttribute('aria-describedby', description.id);
  term.attachCustomKeyEventHandler((event) => {
    const action = terminalKeyAction(event);
    if (action === 'leave-to-tab' && event.type === 'keydown') {
      event.preventDefault();
      options.onEscape();
    }
    return action === 'xterm';
  });

  // A hidden panel (another view shown) measures 0×0: there is nothing to fit to until it is shown again.
  const refit = () => {
    if (!screen.isConnected || screen.clientWidth === 0 || screen.clientHeight === 0) return;
    try {
      fit.fit();
    } catch {
      /* not measurable yet */
    }
  };
  let fitFrame = 0;
  const resize = new ResizeObserver(() => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(refit);
  });
  resize.observe(screen);

  const onTheme = () => {
    term.options.theme = terminalTheme(darkQuery.matches);
  };
  darkQuery.addEventListener('change', onTheme);

  requestAnimationFrame(refit);

  return {
    description,
    show(text) {
      term.reset();
      term.write(HIDE_CURSOR);
      term.write(text);
    },
    write(line) {
      term.write(line + '\r\n');
    },
    dispose() {
      cancelAnimationFrame(fitFrame);
      resize.disconnect();
      darkQuery.removeEventListener('change', onTheme);
      term.dispose();
    },
  };
}
