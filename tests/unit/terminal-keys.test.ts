import { describe, expect, it } from 'vitest';
import { TERMINAL_KEYS, terminalKeyAction } from '../../playground/client/panels/terminals/terminals-format.ts';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'altKey' | 'metaKey' | 'shiftKey', boolean>> = {}) => ({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...mods });

describe('terminal keys', () => {
  it('leaves Tab and Shift+Tab to the browser, so focus moves out of the terminal', () => {
    expect(terminalKeyAction(key('Tab'))).toBe('browser');
    expect(terminalKeyAction(key('Tab', { shiftKey: true }))).toBe('browser');
  });

  it('Escape goes back to the tab; everything else stays with xterm (selection, copying)', () => {
    expect(terminalKeyAction(key('Escape'))).toBe('leave-to-tab');
    expect(terminalKeyAction(key('c', { ctrlKey: true }))).toBe('xterm');
    expect(terminalKeyAction(key('ArrowUp'))).toBe('xterm');
  });

  it('the description names the keys it handles', () => {
    expect(TERMINAL_KEYS).toMatch(/Tab and Shift\+Tab/);
    expect(TERMINAL_KEYS).toMatch(/Escape/);
  });
});
