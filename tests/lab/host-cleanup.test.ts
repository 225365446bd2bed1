import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLesson } from '../../playground/course/lessons.ts';
import { FIRST_SLOT_UID } from '../../playground/server/lab-slots.ts';
import { listProcesses } from '../../playground/server/proc-scan.ts';
import { eventually, processesOfLab, slotLocksOf } from './helpers.ts';
import { connect, openAndStart, startHost } from './host-support.ts';

/** Processes this test is answerable for: its own children, and anything running as a lab user. */
async function footprint() {
  const all = listProcesses();
  return {
    children: all.filter((info) => info.ppid === process.pid).length,
    labUsers: all.filter((info) => info.uid >= FIRST_SLOT_UID && info.uid < FIRST_SLOT_UID + 1000).length,
  };
}

describe('lab host clean-up', () => {
  it('100 open/close cycles, half of them abrupt, end with the same processes as before', { timeout: 300_000 }, async () => {
    const labRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-cycles-'));
    const { port, origin, host } = await startHost({ labRoot });
    const lesson = await loadLesson('map-trap');
    const before = await footprint();
    const labIds: string[] = [];

    const cycle = async (index: number) => {
      const tab = connect(port, origin);
      // Every tenth lab also starts its cluster, so instances and Redis are torn down too.
      const labId = await openAndStart(tab, 'map-trap', lesson.starter, { start: index % 10 === 0 });
      labIds.push(labId);
      if (index % 2 === 0) tab.ws.terminate(); // the connection drops
      else tab.ws.close(); // the tab closes
      await tab.closed;
    };
    for (let index = 0; index < 100; index += 4) await Promise.all([0, 1, 2, 3].map((offset) => cycle(index + offset)));
    expect(labIds).toHaveLength(100);
    expect(new Set(labIds).size).toBe(100);

    await eventually(() => host.labs.size === 0, 'every lab to be closed', 30_000);
    await eventually(async () => JSON.stringify(await footprint()) === JSON.stringify(before), 'the process count to return to where it was', 30_000);
    for (const id of labIds) expect(processesOfLab(id), id).toEqual([]);
    expect(fs.readdirSync(labRoot).filter((entry) => entry.startsWith('lab-'))).toEqual([]);
    expect(slotLocksOf(labRoot, process.pid)).toEqual([]);
    fs.rmSync(labRoot, { recursive: true, force: true });
  });

  it('a lab whose socket drops mid-start is still removed completely', { timeout: 60_000 }, async () => {
    const { port, origin, host } = await startHost();
    const lesson = await loadLesson('map-trap');
    const tab = connect(port, origin);
    const labId = await openAndStart(tab, 'map-trap', lesson.starter, { start: false });
    tab.send({ op: 'command', id: 1, command: { type: 'start' } });
    await tab.next((m) => m.op === 'event' && (m.event as { type: string }).type === 'process');
    tab.ws.terminate();
    await eventually(() => host.labs.size === 0 && processesOfLab(labId).length === 0, 'the half-started lab to be gone', 15_000);
  });
});
