import { describe, expect, it } from 'vitest';
import { sessionLikeKeys, sessionTokens } from '../../playground/lab/redis/session-keys.js';

describe('whose session a Redis key holds', () => {
  it("reads the session id out of a cookie: express-session's signed form, URI-encoded or not, and plain ids", () => {
    expect(sessionTokens(['s%3AaBcD1234eFgH5678.Zx9%2Bsig%2Fnature'])).toEqual(['aBcD1234eFgH5678']);
    expect(sessionTokens(['s:aBcD1234eFgH5678.sig'])).toEqual(['aBcD1234eFgH5678']);
    expect(sessionTokens(['3f2a7c1e-90ab-4cde-8f01-23456789abcd'])).toEqual(['3f2a7c1e-90ab-4cde-8f01-23456789abcd']);
    // Too short to say anything: an instance letter, a theme, a counter.
    expect(sessionTokens(['B', 'dark', '1234567', 's:short.sig'])).toEqual([]);
    // A value that is not valid percent-encoding is taken as it is.
    expect(sessionTokens(['%E0%A4%A-not-encoded'])).toEqual(['%E0%A4%A-not-encoded']);
  });

  it('finds the session-like keys, owners first, then by key', () => {
    const owners = [
      { user: 'alice', tokens: ['aBcD1234eFgH5678'] },
      { user: 'bob', tokens: ['3f2a7c1e-90ab-4cde-8f01-23456789abcd'] },
    ];
    const keys = ['sess:zzzzorphan', 'counter', 'session:3f2a7c1e-90ab-4cde-8f01-23456789abcd', 'sess:aBcD1234eFgH5678', 'socket.io#/#', 'SESSION:old'];
    expect(sessionLikeKeys(keys, owners)).toEqual([
      { key: 'sess:aBcD1234eFgH5678', user: 'alice' },
      { key: 'session:3f2a7c1e-90ab-4cde-8f01-23456789abcd', user: 'bob' },
      { key: 'SESSION:old', user: null },
      { key: 'sess:zzzzorphan', user: null },
    ]);
    // A key named after a user's session id belongs to them, whatever its name says.
    expect(sessionLikeKeys(['logins/aBcD1234eFgH5678'], owners)).toEqual([{ key: 'logins/aBcD1234eFgH5678', user: 'alice' }]);
    expect(sessionLikeKeys(['counter', 'visits'], owners)).toEqual([]);
  });
});
