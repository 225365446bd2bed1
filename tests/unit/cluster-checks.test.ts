import { describe, expect, it } from 'vitest';
import { checksHeadline } from '../../playground/client/panels/checks/checks-panel.ts';

const names = ['one', 'two', 'three', 'four'];

describe('checks headline', () => {
  it('before any run', () => {
    expect(checksHeadline({ running: false, names: [], results: [] })).toMatchObject({ tone: 'neutral' });
  });
  it('shows progress while running', () => {
    const results = [
      { name: 'one', status: 'pass' as const, message: null, ms: 10 },
      { name: 'two', status: 'fail' as const, message: 'x', ms: 10 },
    ];
    expect(checksHeadline({ running: true, names, results }).text).toBe('Running checks: 2 of 4 done…');
  });
  it('a clear success', () => {
    const results = names.map((name) => ({ name, status: 'pass' as const, message: null, ms: 1 }));
    expect(checksHeadline({ running: false, names, results, status: 'pass' })).toMatchObject({ tone: 'ok', text: 'All 4 checks passed. Well done: this lesson is complete.' });
  });
  it('counts failures and errors', () => {
    const results = [
      { name: 'one', status: 'pass' as const, message: null, ms: 1 },
      { name: 'two', status: 'fail' as const, message: 'x', ms: 1 },
      { name: 'three', status: 'error' as const, message: 'y', ms: 1 },
      { name: 'four', status: 'fail' as const, message: 'z', ms: 1 },
    ];
    expect(checksHeadline({ running: false, names, results, status: 'fail' }).text).toBe('1 of 4 passed, 2 failed, 1 could not run.');
    expect(checksHeadline({ running: false, names, results: [], status: 'error', error: 'checks.js did not load' }).text).toBe('The checks could not run: checks.js did not load');
  });
});
