import { describe, expect, it } from 'vitest';
import { BoundedQueue, MAX_LINES, OutputBuffers, screenText } from '../../playground/client/panels/terminals/output-buffers.ts';

describe('terminal output buffers', () => {
  it('keeps each process’s lines apart, in order', () => {
    const outputs = new OutputBuffers();
    outputs.push('A', 'a1');
    outputs.push('B', 'b1');
    outputs.push('A', 'a2');
    expect(outputs.lines('A')).toEqual(['a1', 'a2']);
    expect(outputs.lines('B')).toEqual(['b1']);
    expect(outputs.lines('C')).toEqual([]);
  });

  it('keeps only the newest lines of a chatty process', () => {
    const outputs = new OutputBuffers(3);
    for (let i = 1; i <= 5; i++) outputs.push('A', `line ${i}`);
    expect(outputs.lines('A')).toEqual(['line 3', 'line 4', 'line 5']);
  });

  it('holds a thousand lines by default', () => {
    const outputs = new OutputBuffers();
    for (let i = 0; i < MAX_LINES + 10; i++) outputs.push('A', String(i));
    expect(MAX_LINES).toBe(1000);
    expect(outputs.lines('A')).toHaveLength(MAX_LINES);
    expect(outputs.lines('A')[0]).toBe('10');
  });

  it('clearing one process leaves the others', () => {
    const outputs = new OutputBuffers();
    outputs.push('A', 'a1');
    outputs.push('B', 'b1');
    outputs.clear('A');
    expect(outputs.lines('A')).toEqual([]);
    expect(outputs.lines('B')).toEqual(['b1']);
    outputs.push('A', 'a2');
    expect(outputs.lines('A')).toEqual(['a2']);
  });
});

describe('what a tab shows from scratch', () => {
  it('its lines, one per terminal row', () => {
    expect(screenText(['one', 'two'], 'nothing')).toBe('one\r\ntwo\r\n');
  });

  it('a muted note when there is no output', () => {
    expect(screenText([], 'No output from Redis yet.')).toBe('\x1b[90mNo output from Redis yet.\x1b[0m\r\n');
  });
});

describe('the pending log queue', () => {
  it('hands over everything queued, oldest first, then is empty', () => {
    const queue = new BoundedQueue<number>(10);
    queue.add(1);
    queue.add(2);
    expect(queue.take()).toEqual([1, 2]);
    expect(queue.take()).toEqual([]);
  });

  it('drops the oldest items of a flood', () => {
    const queue = new BoundedQueue<number>(3);
    for (let i = 1; i <= 7; i++) queue.add(i);
    expect(queue.take()).toEqual([5, 6, 7]);
  });
});
