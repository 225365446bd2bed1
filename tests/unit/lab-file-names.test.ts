import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../playground/server/host-config.ts';
import { learnerFile, LabWatchdog, type LimitHit } from '../../playground/server/lab-watchdog.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('naming a lab file in a message', () => {
  it('names a file on an instance’s own disk as that instance’s code names it', () => {
    expect(learnerFile('app/.instances/A-1-1/big.bin')).toBe("Instance A's file big.bin (on its own disk)");
    expect(learnerFile('app/.instances/J-12-340/logs/today.log')).toBe("Instance J's file logs/today.log (on its own disk)");
    // A folder inside the copy named like the disks does not change whose disk it is.
    expect(learnerFile('app/.instances/B-2-3/.instances/C-1-1/x')).toBe("Instance B's file .instances/C-1-1/x (on its own disk)");
  });

  it('keeps the lab’s own path for every other file', () => {
    expect(learnerFile('app/big.bin')).toBe("Your lab's file app/big.bin");
    expect(learnerFile('app/data/A-1-1/x.bin')).toBe("Your lab's file app/data/A-1-1/x.bin");
    // Inside .instances but not on an instance's disk (the learner's code put it there, or named it so).
    expect(learnerFile('app/.instances/notes.txt')).toBe("Your lab's file app/.instances/notes.txt");
    expect(learnerFile('app/.instances/A-1-1')).toBe("Your lab's file app/.instances/A-1-1");
    expect(learnerFile('app/.instances/A-x-1/f')).toBe("Your lab's file app/.instances/A-x-1/f");
    expect(learnerFile('app/sub/.instances/A-1-1/f')).toBe("Your lab's file app/sub/.instances/A-1-1/f");
    expect(learnerFile('checks.js')).toBe("Your lab's file checks.js");
  });

  it('starts the watchdog’s file size messages, on an instance’s disk and in app/', async () => {
    const lab = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-names-'));
    dirs.push(lab);
    const limit = 1024 * 1024;
    const write = (relative: string, bytes: number) => {
      fs.mkdirSync(path.dirname(path.join(lab, relative)), { recursive: true });
      fs.writeFileSync(path.join(lab, relative), Buffer.alloc(bytes, 1));
    };
    write('app/server.js', 10);
    write('app/.instances/A-1-1/server.js', 10);
    write('app/.instances/A-1-1/big.bin', limit);
    write('app/.instances/B-1-2/data/log.txt', limit);
    write('app/app.log', limit);
    // A pid nobody has: the watchdog finds no process of this lab, only its folder.
    let pid = 4_000_000;
    while (fs.existsSync(`/proc/${pid}`)) pid--;
    const hits: LimitHit[] = [];
    const watchdog = new LabWatchdog({ ...DEFAULT_LIMITS, fileMb: 1 }, { intervalMs: 60_000 });
    watchdog.watch({ id: 'lab-names', rootPid: pid, uid: undefined, dir: lab, nameOf: () => undefined, onLimit: (hit) => hits.push(hit) });
    try {
      await watchdog.tick();
    } finally {
      watchdog.stop();
    }
    expect(hits.every((hit) => hit.limit === 'file size' && hit.action === 'informed')).toBe(true);
    expect(hits.map((hit) => hit.message.slice(0, hit.message.indexOf(' reached '))).sort()).toEqual([
      "Instance A's file big.bin (on its own disk)",
      "Instance B's file data/log.txt (on its own disk)",
      "Your lab's file app/app.log",
    ]);
    expect(hits[0]!.message).toMatch(/ reached 1 MB, the largest a file may be, so writing more to it fails with EFBIG/);
  });
});
