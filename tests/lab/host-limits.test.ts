import { describe, expect, it } from 'vitest';
import { app, eventually, processesOfLab } from './helpers.ts';
import { connect, LAB_FOLDERS, openAndStart, startHost, type Message, type Tab } from './host-support.ts';
import { listProcesses } from '../../playground/server/proc-scan.ts';

// Each test gives instance A (or B) misbehaving code that starts shortly after the cluster is up, and expects the
// host to stop it with a message naming the limit, and to stay usable.

const later = (code: string, name = 'A') => `if (id === '${name}') setTimeout(() => { ${code} }, 400);`;
const limitMessage = (tab: Tab, limit: string, timeoutMs = 20_000) => tab.next((m) => m.op === 'limit' && m.limit === limit, timeoutMs);

async function stillServes(port: number, origin: string): Promise<void> {
  const tab = connect(port, origin);
  await openAndStart(tab, 'map-trap', app(), { start: false });
  tab.ws.close();
}

describe('lab host limits', () => {
  it('ends a lab that forks in a loop, kills every process it made, and keeps serving others', { timeout: 60_000 }, async () => {
    const { port, origin, host } = await startHost({ limits: { processesPerLab: 20 } });
    const tab = connect(port, origin);
    const labId = await openAndStart(tab, 'map-trap', app(`import { spawn } from 'node:child_process';\n` + later(`for (;;) { try { spawn('sleep', ['120'], { stdio: 'ignore' }); } catch {} }`)));
    const hit = (await limitMessage(tab, 'processes per lab')) as Message;
    expect(String(hit.message)).toMatch(/limit is 20/);
    await tab.next((m) => m.op === 'closed' && m.code === 'limit');
    await tab.closed;
    await eventually(() => processesOfLab(labId).length === 0 && host.labs.size === 0, 'every process of the lab to be gone', 15_000);
    const sleepers = listProcesses().filter((info) => info.name === 'sleep' && info.uid >= 420000);
    expect(sleepers).toEqual([]);
    await stillServes(port, origin);
  });

  it('stops a process that allocates without end, names it, and the lab goes on', { timeout: 60_000 }, async () => {
    const { port, origin } = await startHost({ limits: { memoryMbPerProcess: 200 } });
    const tab = connect(port, origin);
    await openAndStart(tab, 'map-trap', app(later(`const hog = []; setInterval(() => hog.push(Buffer.alloc(40 * 1024 * 1024, 1)), 50);`)));
    const hit = (await limitMessage(tab, 'memory per process')) as Message;
    expect(String(hit.message)).toMatch(/instance A|200 MB/);
    await tab.next((m) => m.op === 'event' && (m.event as Message).type === 'process' && (m.event as Message).name === 'A' && (m.event as Message).state === 'crashed');
    tab.send({ op: 'command', id: 9, command: { type: 'status' } });
    await tab.next((m) => m.op === 'reply' && m.id === 9 && m.ok === true);
    expect(tab.messages.some((m) => m.op === 'closed')).toBe(false);
  });

  it('stops a process that spins the CPU', { timeout: 60_000 }, async () => {
    const { port, origin } = await startHost({ limits: { cpuSeconds: 3 } });
    const tab = connect(port, origin);
    await openAndStart(tab, 'map-trap', app(later('for (;;) {}', 'B')));
    const hit = (await limitMessage(tab, 'CPU time', 30_000)) as Message;
    expect(String(hit.message)).toMatch(/instance B.*3 seconds/);
    await tab.next((m) => m.op === 'event' && (m.event as Message).type === 'process' && (m.event as Message).name === 'B' && (m.event as Message).state === 'crashed');
  });

  it('ends a lab whose code fills its folder with files', { timeout: 60_000 }, async () => {
    const { port, origin } = await startHost({ limits: { files: 60 } });
    const tab = connect(port, origin);
    // Into the lab's app folder: the instance's own disk (its working directory) goes with it when it crashes.
    await openAndStart(tab, 'map-trap', app(`import fs from 'node:fs';\n${LAB_FOLDERS}` + later(`for (let i = 0; i < 200; i++) fs.writeFileSync(labPath.join(appDir, 'junk-' + i + '.txt'), 'x');`)));
    const hit = (await limitMessage(tab, 'files per lab')) as Message;
    expect(String(hit.message)).toMatch(/more than 60 files/);
    await tab.next((m) => m.op === 'closed' && m.code === 'limit');
  });

  it('stops a process that writes a file over the size limit', { timeout: 60_000 }, async () => {
    const { port, origin } = await startHost({ limits: { fileMb: 1 } });
    const tab = connect(port, origin);
    await openAndStart(tab, 'map-trap', app(`import fs from 'node:fs';\n` + later(`fs.writeFileSync('big.bin', Buffer.alloc(3 * 1024 * 1024, 1));`)));
    const hit = (await limitMessage(tab, 'file size')) as Message;
    expect(String(hit.message)).toMatch(/larger than 1 MB/);
  });

  it('drops output beyond the rate limit and says how much', { timeout: 60_000 }, async () => {
    const { port, origin } = await startHost({ limits: { outputKbPerSecond: 4 } });
    const tab = connect(port, origin);
    await openAndStart(tab, 'map-trap', app(later(`setInterval(() => { for (let i = 0; i < 20; i++) console.log('noise '.repeat(150)); }, 20);`)));
    const hit = (await limitMessage(tab, 'output rate')) as Message;
    expect(String(hit.message)).toMatch(/faster than 4 KB\/s; \d+ KB of events were dropped/);
    const received = tab.messages.filter((m) => m.op === 'event' && (m.event as Message).type === 'log').reduce((sum, m) => sum + JSON.stringify(m).length, 0);
    // Well under what the instance printed (about 45 KB every 20 ms), since the budget holds 4 s of 4 KB/s.
    expect(received).toBeLessThan(64 * 1024);
  });

  it('closes a lab that goes idle and removes its processes', { timeout: 60_000 }, async () => {
    const { port, origin, host } = await startHost({ limits: { idleMinutes: 0.05 } });
    const tab = connect(port, origin);
    const labId = await openAndStart(tab, 'map-trap', app());
    const closed = (await tab.next((m) => m.op === 'closed', 20_000)) as Message;
    expect(closed).toMatchObject({ code: 'idle', reason: expect.stringMatching(/without activity/) });
    await tab.closed;
    await eventually(() => processesOfLab(labId).length === 0 && host.labs.size === 0, 'the idle lab to be gone', 15_000);
  });
});
