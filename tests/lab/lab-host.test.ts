import { describe, expect, it } from 'vitest';
import { originAllowed } from '../../playground/server/lab-host.ts';
import { loadLesson } from '../../playground/course/lessons.ts';
import { eventually, processesOfLab } from './helpers.ts';
import { connect, startHost, type Message } from './host-support.ts';

describe('lab host', () => {
  it('accepts only same-origin pages', async () => {
    expect(originAllowed('http://127.0.0.1:4321', '127.0.0.1:4321')).toBe(true);
    expect(originAllowed('http://evil.example', '127.0.0.1:4321')).toBe(false);
    expect(originAllowed(undefined, '127.0.0.1:4321')).toBe(false);
    const { port } = await startHost();
    await expect(connect(port, 'http://evil.example').opened).rejects.toThrow(/403/);
    await expect(connect(port).opened).rejects.toThrow(/403/);
  });

  it('gives a tab its own lab, runs it, and removes every process when the tab goes away', async () => {
    const { port, origin, host } = await startHost();
    const lesson = await loadLesson('map-trap');
    const tab = connect(port, origin);
    await tab.opened;
    tab.send({ op: 'open', lesson: 'map-trap', files: lesson.starter });
    const opened = await tab.next((m) => m.op === 'opened');
    tab.send({ op: 'command', id: 1, command: { type: 'start' } });
    await tab.next((m) => m.op === 'reply' && m.id === 1);
    expect(tab.messages.filter((m) => m.op === 'event' && (m.event as Message).type === 'process' && (m.event as Message).state === 'up').length).toBeGreaterThanOrEqual(5);
    tab.send({ op: 'command', id: 2, command: { type: 'user', user: 'alice', action: 'login' } });
    await tab.next((m) => m.op === 'event' && (m.event as Message).type === 'user');
    const labId = String(opened?.labId);
    expect(processesOfLab(labId).length).toBeGreaterThanOrEqual(5);
    tab.ws.terminate();
    await eventually(() => processesOfLab(labId).length === 0 && host.labs.size === 0, 'the lab to be torn down', 8000);
  });

  it('answers malformed messages and refuses paths outside the lab, staying up', async () => {
    const { port, origin } = await startHost();
    const tab = connect(port, origin);
    await tab.opened;
    tab.send('{nope');
    tab.send({ op: 'launch' });
    tab.send({ op: 'open', lesson: 'map-trap', files: [{ path: '../../etc/passwd', content: 'x' }] });
    tab.send({ op: 'open', lesson: 'map-trap', files: [{ path: '/etc/passwd', content: 'x' }] });
    tab.send({ op: 'open', lesson: 'no-such-lesson', files: [] });
    tab.send({ op: 'command', id: 7, command: { type: 'status' } });
    await tab.next((m) => m.op === 'reply' && m.id === 7);
    const errors = tab.messages.filter((m) => m.op === 'error').map((m) => String(m.message));
    expect(errors).toEqual([
      expect.stringMatching(/not valid JSON/),
      expect.stringMatching(/invalid message/),
      expect.stringMatching(/files.0.path: must be a relative path inside the lab/),
      expect.stringMatching(/files.0.path: must be a relative path inside the lab/),
      expect.stringMatching(/no lesson "no-such-lesson"/),
    ]);
    expect(tab.messages.find((m) => m.id === 7)).toMatchObject({ ok: false, error: expect.stringMatching(/open a lab/) });
    const again = connect(port, origin);
    await again.opened;
    again.ws.close();
  });
});
