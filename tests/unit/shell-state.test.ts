import { describe, expect, it } from 'vitest';
import { NoticeBoard, type Notice } from '../../playground/client/shell/notices.ts';
import { describeRunningCode } from '../../playground/client/shell/running-code.ts';

describe('notices', () => {
  it('keeps one message per situation and shows the newest that still holds', () => {
    const board = new NoticeBoard();
    const seen: (Notice | undefined)[] = [];
    board.subscribe((n) => seen.push(n));
    board.set('lab', 'deploy failed: the old version keeps serving', { tone: 'error' });
    board.set('save', 'Saved server.js');
    board.set('lab', 'instance B did not come up', { tone: 'error' });
    expect(board.current?.text).toBe('instance B did not come up');
    board.clear('lab');
    expect(board.current?.text).toBe('Saved server.js');
    board.clear('save', 'files');
    expect(board.current).toBeUndefined();
    expect(seen.at(0)).toBeUndefined();
    expect(seen.map((n) => n?.situation)).toEqual([undefined, 'lab', 'save', 'lab', 'save', undefined]);
  });

  it('clearing a situation with no message does not notify', () => {
    const board = new NoticeBoard();
    let calls = 0;
    board.subscribe(() => calls++);
    board.clear('checks');
    expect(calls).toBe(1);
  });
});

describe('what runs', () => {
  const running = [{ path: 'server.js', content: 'v1' }];
  it('says nothing when nothing serves', () => {
    expect(describeRunningCode(running, running, false, 'Ctrl').state).toBe('none');
    expect(describeRunningCode(undefined, running, true, 'Ctrl').state).toBe('none');
  });
  it('says whether the cluster runs the editor’s code, naming what differs', () => {
    expect(describeRunningCode(running, running, true, 'Ctrl').state).toBe('same');
    const differs = describeRunningCode(running, [{ path: 'server.js', content: 'v2' }, { path: 'store.js', content: 'new' }], true, 'Ctrl');
    expect(differs.state).toBe('differs');
    expect(differs.paths).toEqual(['server.js', 'store.js']);
    expect(differs.text).toBe('The cluster runs older code: server.js and store.js changed since it started. Ctrl+S rolls it out.');
  });
});
