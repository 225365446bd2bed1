import { describe, expect, it } from 'vitest';
import { bodyJson, namedIn } from '../../playground/lab/identity.js';

const answer = (body: string, json?: unknown) => ({ body, json });

describe('whom an answer names', () => {
  it('finds the caller under any key and at any depth', () => {
    expect(namedIn({ user: 'alice', instance: 'A' }, 'alice')).toBe('alice');
    expect(namedIn({ userId: 'alice' }, 'alice')).toBe('alice');
    expect(namedIn({ me: { profile: { name: 'alice' } } }, 'alice')).toBe('alice');
    expect(namedIn(['alice'], 'alice')).toBe('alice');
  });

  it('names nobody when no string says who', () => {
    expect(namedIn({ userId: null }, 'alice')).toBeNull();
    expect(namedIn({ ok: true, instance: 'B' }, 'alice')).toBeNull();
    expect(namedIn({ error: 'not logged in' }, 'alice')).toBeNull();
    expect(namedIn(undefined, 'alice')).toBeNull();
    expect(namedIn({ user: '' }, 'alice')).toBeNull();
  });

  it('names someone else: another known user anywhere, or anyone under an identity key', () => {
    expect(namedIn({ user: 'bob' }, 'alice')).toBe('bob');
    expect(namedIn({ greeting: 'carol' }, 'alice', ['bob', 'carol'])).toBe('carol');
    expect(namedIn({ username: 'mallory' }, 'alice')).toBe('mallory');
    // A value that happens to be the caller's name wins over anything else in the body.
    expect(namedIn({ user: 'alice', lastSeenBy: 'bob' }, 'alice', ['bob'])).toBe('alice');
  });

  it('reads JSON bodies whatever their content-type says', () => {
    expect(bodyJson(answer('{"user":"alice"}'))).toEqual({ user: 'alice' });
    expect(bodyJson(answer('  ["x"] '))).toEqual(['x']);
    expect(bodyJson(answer('alice'))).toBeUndefined();
    expect(bodyJson(answer('{broken'))).toBeUndefined();
    expect(bodyJson(answer('{"a":1}', { parsed: true }))).toEqual({ parsed: true });
  });
});
