import { describe, expect, it } from 'vitest';
import { moreWords, shortKey, ttlLeft, ttlWords } from '../../playground/client/panels/cluster/session-keys.ts';

describe('session keys in the Redis box', () => {
  it('shortens keys to their prefix and a few characters of the id', () => {
    expect(shortKey('sess:7f3c9ab1e4d24c0f8a2b')).toBe('sess:7f3c…');
    expect(shortKey('myapp:sess:0123456789abcdef')).toBe('myapp:sess:0123…');
    expect(shortKey('session-0123456789abcdef')).toBe('session-0123…');
    expect(shortKey('sess:3f2a1b4c-9d8e-4f00-a1b2-c3d4e5f60718')).toBe('sess:3f2a…');
    expect(shortKey('sess:abc')).toBe('sess:abc');
    expect(shortKey('sess:abcde')).toBe('sess:abcde');
    expect(shortKey('trailing-colon-key:')).toBe('trailing-c…');
    expect(shortKey('x'.repeat(40))).toBe(`${'x'.repeat(10)}…`);
  });

  it('counts a TTL down from when Redis reported it, never below zero', () => {
    expect(ttlLeft(30, 0)).toBe(30);
    expect(ttlLeft(30, 1_200)).toBe(29);
    expect(ttlLeft(30, 45_000)).toBe(0);
    expect(ttlLeft(null, 45_000)).toBeNull();
  });

  it('says a TTL in words', () => {
    expect(ttlWords(null)).toBe('no expiry');
    expect(ttlWords(0)).toBe('expiring now');
    expect(ttlWords(29)).toBe('expires in 29 s');
    expect(ttlWords(60)).toBe('expires in 1 min');
    expect(ttlWords(3599)).toBe('expires in 59 min');
    expect(ttlWords(86_400)).toBe('expires in 24 h');
    expect(ttlWords(23 * 3600 + 59 * 60)).toBe('expires in 23 h');
    expect(ttlWords(7 * 86_400)).toBe('expires in 7 days');
  });

  it('counts the keys it does not list', () => {
    expect(moreWords(4, 8)).toBe('+4 more');
    expect(moreWords(3, 3)).toBe('');
    expect(moreWords(0, undefined)).toBe('');
  });
});
