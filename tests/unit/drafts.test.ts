import { describe, expect, it } from 'vitest';
import { changedPaths, isDraft, mergeDraft, sameFiles } from '../../playground/client/workspace/drafts.ts';

const starter = [
  { path: 'package.json', content: '{}' },
  { path: 'server.js', content: '// starter' },
];

describe('draft merge', () => {
  it('opens the starter when there is no draft', () => {
    expect(mergeDraft(starter, undefined, ['package.json'])).toBe(starter);
  });

  it("takes the draft's editable files, the starter's read-only ones, and the learner's new files", () => {
    const draft = [
      { path: 'package.json', content: '{"tampered":true}' },
      { path: 'server.js', content: '// mine' },
      { path: 'lib/extra.js', content: '// new' },
    ];
    expect(mergeDraft(starter, draft, ['package.json'])).toEqual([
      { path: 'package.json', content: '{}' },
      { path: 'server.js', content: '// mine' },
      { path: 'lib/extra.js', content: '// new' },
    ]);
  });

  it('keeps starter files the draft does not have (a lesson that gained a file)', () => {
    const bigger = [...starter, { path: 'store.js', content: '// new in the lesson' }];
    expect(mergeDraft(bigger, [{ path: 'server.js', content: '// mine' }], ['package.json'])).toEqual([
      { path: 'package.json', content: '{}' },
      { path: 'server.js', content: '// mine' },
      { path: 'store.js', content: '// new in the lesson' },
    ]);
  });

  it('recognises drafts and refuses junk', () => {
    expect(isDraft({ v: 1, savedAt: 1, files: [{ path: 'a', content: 'b' }] })).toBe(true);
    expect(isDraft({ v: 2, savedAt: 1, files: [] })).toBe(false);
    expect(isDraft({ v: 1, savedAt: 1, files: [{ path: 'a' }] })).toBe(false);
    expect(isDraft(null)).toBe(false);
    expect(isDraft('x')).toBe(false);
  });

  it('compares file sets', () => {
    expect(sameFiles(starter, [...starter].reverse())).toBe(true);
    expect(sameFiles(starter, [starter[0]!])).toBe(false);
    expect(changedPaths([{ path: 'server.js', content: '// mine' }, { path: 'x.js', content: '' }], starter)).toEqual(['server.js', 'x.js']);
    expect(changedPaths(starter, starter)).toEqual([]);
  });
});
