import { describe, expect, it } from 'vitest';
import { excerpt } from '../../playground/lab/excerpt.js';

describe('excerpt', () => {
  it('folds whitespace and keeps a short text whole', () => {
    expect(excerpt('  {"error":\n   "not logged in"}  ')).toBe('{"error": "not logged in"}');
    expect(excerpt('   ')).toBe('(empty body)');
    expect(excerpt(undefined, 10, '')).toBe('');
  });

  it('cuts a long text at a word boundary, never inside a word', () => {
    const text = 'Cannot read properties of undefined (reading session) at the handler for the login route of this app';
    const cut = excerpt(text, 40);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(41);
    const kept = cut.slice(0, -1);
    expect(text.startsWith(kept)).toBe(true);
    expect(text[kept.length]).toBe(' ');
  });

  it('cuts one word longer than the limit where it must', () => {
    const token = 'x'.repeat(300);
    expect(excerpt(token, 160)).toBe(`${'x'.repeat(160)}…`);
  });
});
