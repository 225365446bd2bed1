import { describe, expect, it } from 'vitest';
import { applySolutionFile, importFiles, isChange, resetToStarter, restoreDraft, writeOver, type FileChange } from '../../playground/client/workspace/file-operations.ts';

const starter = [
  { path: 'server.js', content: 'starter server' },
  { path: 'package.json', content: '{}' },
];
const solution = [
  { path: 'server.js', content: 'solution server' },
  { path: 'package.json', content: '{}' },
  { path: 'store.js', content: 'solution store' },
];
const readonly = ['package.json'];

const changeOf = (operation: ReturnType<typeof resetToStarter>): FileChange => {
  if (!isChange(operation)) throw new Error(`expected a change, got: ${operation.summary}`);
  return operation;
};

describe('file operations', () => {
  it('writeOver keeps the order of existing files and appends new ones', () => {
    expect(writeOver(starter, [{ path: 'new.js', content: 'x' }, { path: 'server.js', content: 'y' }])).toEqual([
      { path: 'server.js', content: 'y' },
      { path: 'package.json', content: '{}' },
      { path: 'new.js', content: 'x' },
    ]);
  });

  it('reset puts back the starter, drops added files, and keeps what was there for undo', () => {
    const current = [{ path: 'server.js', content: 'mine' }, starter[1]!, { path: 'extra.js', content: 'added' }];
    const change = changeOf(resetToStarter(current, starter, readonly));
    expect(change.next).toEqual(starter);
    expect(change.before).toEqual(current);
    expect(change.changed).toEqual(['server.js', 'extra.js']);
    expect(change.summary).toBe('Reset server.js and extra.js to the starter.');
  });

  it('reset of files that already match the starter changes nothing and says so', () => {
    const operation = resetToStarter(starter, starter, readonly);
    expect(isChange(operation)).toBe(false);
    expect(operation.summary).toMatch(/already match the starter/);
  });

  it('applying one solution file changes only that file, and adds it when the learner lacks it', () => {
    const one = changeOf(applySolutionFile(starter, solution, 'server.js'));
    expect(one.next).toEqual([{ path: 'server.js', content: 'solution server' }, starter[1]]);
    expect(one.changed).toEqual(['server.js']);
    const added = changeOf(applySolutionFile(starter, solution, 'store.js'));
    expect(added.next.map((f) => f.path)).toEqual(['server.js', 'package.json', 'store.js']);
    expect(isChange(applySolutionFile(one.next, solution, 'server.js'))).toBe(false);
    expect(applySolutionFile(starter, solution, 'nope.js').summary).toMatch(/has no nope\.js/);
  });

  it('import names the files it changed and the read-only ones it left alone', () => {
    const change = changeOf(importFiles(starter, [{ path: 'server.js', content: 'zip' }], 'work.zip', ['package.json']));
    expect(change.summary).toBe('Imported server.js from work.zip (package.json is read-only here and kept as it is).');
    expect(isChange(importFiles(starter, [starter[0]!], 'same.zip'))).toBe(false);
  });

  it('a draft comes back over the editable files only', () => {
    const draft = { files: [{ path: 'server.js', content: 'draft' }, { path: 'package.json', content: 'tampered' }], savedAt: Date.UTC(2026, 0, 2, 3, 4) };
    const change = changeOf(restoreDraft(starter, draft, readonly, 'en-GB'));
    expect(change.next).toEqual([{ path: 'server.js', content: 'draft' }, { path: 'package.json', content: '{}' }]);
    expect(change.summary).toMatch(/^Your draft from .*2026.* is back\./);
    expect(isChange(restoreDraft(starter, undefined, readonly))).toBe(false);
  });
});
