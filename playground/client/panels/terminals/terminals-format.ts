/** How the Terminal panel words and colours things (pure functions, no DOM). */
import type { LogLine, ProcessState } from '../../session/lab-store.ts';
import { excerpt } from '../../../lab/excerpt.js';

export interface TermProcess {
  key: string;
  role: 'all' | 'balancer' | 'instance' | 'redis';
  state: ProcessState;
  reason?: string;
}

const RESET = '\x1b[0m';
const RED = '\x1b[31m';
const BOLD_RED = '\x1b[1;31m';
const BOLD_GREEN = '\x1b[1;32m';
const BOLD_BLUE = '\x1b[1;34m';
// Bright black, not SGR 2 (dim): dimmed text drops below readable contrast; the theme sets a muted grey for it.
const DIM = '\x1b[90m';

/** "Instance A", "Balancer", "Redis", "All processes". */
export function processLabel(p: Pick<TermProcess, 'key' | 'role'>): string {
  if (p.role === 'all') return 'All processes';
  if (p.role === 'instance') return `Instance ${p.key}`;
  return p.key.charAt(0).toUpperCase() + p.key.slice(1);
}

/** What an empty tab shows instead of output. */
export function emptyOutputNote(p: Pick<TermProcess, 'key' | 'role'>): string {
  return p.role === 'all' ? 'No output yet. Press Run to start the cluster.' : `No output from ${processLabel(p)} yet.`;
}

/** The Clear button's accessible name for the tab shown. */
export function clearLabel(p: Pick<TermProcess, 'key' | 'role'>): string {
  return `Clear ${p.role === 'all' ? 'all' : processLabel(p)} output`;
}

/**
 * The marker after a tab's name. The leading space makes the tab's accessible name read "Instance B crashed",
 * not "Instance Bcrashed". Empty when there is nothing to mark.
 */
export function tabMarkerText(p: Pick<TermProcess, 'state'>, unread: boolean): string {
  if (p.state === 'crashed') return ' crashed';
  return unread ? ' new output' : '';
}

/** A tab's tooltip: its label, and the crash reason when it crashed. */
export function tabTitle(p: TermProcess): string {
  return p.state === 'crashed' && p.reason ? `${processLabel(p)} crashed: ${p.reason}` : processLabel(p);
}

/**
 * Process output may carry escape sequences. Colours (SGR) are kept; anything else (cursor moves, screen
 * clears, titles) could garble the view and is dropped, as are other control characters except tab.
 */
export function sanitize(text: string): string {
  return text
    .replace(/\x1b\[[0-9;]*m/g, (sgr) => `\u0000${sgr.slice(1)}`) // protect colours
    .replace(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => (c === '\u0000' ? c : ''))
    .replace(/\u0000/g, '\x1b')
    .replace(/\r?\n/g, '\r\n');
}

/** A lab notice's colour: crashes red, "up" green, everything else the accent. */
function labColour(text: string): string {
  if (/^(crashed|unhealthy)\b/.test(text) || /\b(abort|failed)\b/.test(text)) return BOLD_RED;
  if (/^up\b/.test(text)) return BOLD_GREEN;
  return BOLD_BLUE;
}

/** One log line as terminal text, without the trailing newline. `withName` prefixes the process (the All tab). */
export function ansiLine(line: LogLine, withName: boolean): string {
  const text = sanitize(line.text);
  const name = withName ? `${DIM}${line.name.padEnd(8)} │${RESET} ` : '';
  if (line.stream === 'lab') return `${name}${labColour(line.text)}[lab] ${text}${RESET}`;
  if (line.stream === 'stderr') return `${name}${RED}${text}${RESET}`;
  return `${name}${text}`;
}

/**
 * The crash reason for the banner, on one line and not endless. The lab already puts what to fix first (the
 * learner's file and line, then the error), so it is only folded and shortened at a word boundary.
 */
export function crashBannerText(reason: string | undefined): string {
  if (!reason) return '(no reason reported; see the output below)';
  return excerpt(reason, 240);
}

/** The terminal's keys, for its accessible description. */
export const TERMINAL_KEYS = 'Read-only output. Tab and Shift+Tab move focus out of the terminal; Escape moves it to this output’s tab.';

/**
 * Who handles a key pressed in a terminal: the browser (Tab and Shift+Tab move focus on, as anywhere else),
 * the panel (Escape goes back to the terminal's tab), or xterm (everything else: selection, copying).
 */
export function terminalKeyAction(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'altKey' | 'metaKey'>): 'browser' | 'leave-to-tab' | 'xterm' {
  if (event.ctrlKey || event.altKey || event.metaKey) return 'xterm';
  if (event.key === 'Tab') return 'browser';
  if (event.key === 'Escape') return 'leave-to-tab';
  return 'xterm';
}
