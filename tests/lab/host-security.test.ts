import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { confinedPath, PathRefused, writeConfined } from '../../playground/server/confined-files.ts';
import { LIMITS } from '../../playground/protocol/host-messages.ts';
import { app, eventually } from './helpers.ts';
import { connect, LAB_FOLDERS, logText, openAndStart, startHost, type Message } from './host-support.ts';

const errors = (messages: Message[]) => messages.filter((m) => m.op === 'error').map((m) => String(m.message));

/** A small seeded generator, so a failing fuzz run can be repeated exactly. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

function fuzzMessage(rng: ReturnType<typeof random>): string | Buffer {
  const values: unknown[] = [null, true, 0, -1, 1e308, NaN, '', 'x'.repeat(300), [], {}, [[[[[]]]]], { op: 'open' }, '../..', '/etc/passwd', '\0', '😀'];
  const ops = ['open', 'write', 'command', 'launch', '', 'OPEN', 'constructor', '__proto__'];
  switch (Math.floor(rng.next() * 8)) {
    case 0:
      return '{'.repeat(Math.floor(rng.next() * 50)) + rng.pick(['', '"', ':', ',', '}']);
    case 1:
      return Buffer.from(Array.from({ length: 64 }, () => Math.floor(rng.next() * 256)));
    case 2:
      return JSON.stringify(rng.pick(values));
    case 3:
      return JSON.stringify({ op: rng.pick(ops), lesson: rng.pick(values), files: rng.pick(values) });
    case 4:
      return JSON.stringify({ op: 'write', files: [{ path: rng.pick(['../x', '/abs', 'a/../../b', 'ok.js', '', 'a\\..\\..\\b', 'x'.repeat(500)]), content: rng.pick(values) }] });
    case 5:
      return JSON.stringify({ op: 'command', id: rng.pick([-1, 1.5, 'one', 2 ** 53, 3]), command: rng.pick([{ type: rng.pick(['status', 'scale', 'user', 'nope', 'x'.repeat(40)]), n: rng.pick(values), user: rng.pick(values) }, null, 'status']) });
    case 6:
      return JSON.stringify({ op: 'open', lesson: rng.pick(['map-trap', '../../etc', 'MAP', 'x'.repeat(70)]), files: [], extra: 1 });
    default:
      return `{"op":"command","id":1,"command":{"type":"status","__proto__":{"polluted":true}}}`;
  }
}

describe('lab host security', () => {
  it('normalises paths and refuses every way out of the lab', () => {
    expect(confinedPath('./src/../server.js')).toBe('server.js');
    expect(confinedPath('src\\routes.js')).toBe('src/routes.js');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:\\Windows', 'a\\..\\..\\x', '..', '.', 'a\0b']) {
      expect(() => confinedPath(bad), bad).toThrow(PathRefused);
    }
  });

  it('refuses writes through symbolic links and hard links planted in the lab, leaving their targets untouched', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'confined-'));
    const app = path.join(root, 'app');
    fs.mkdirSync(app);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'victim.txt'), 'original');
    fs.symlinkSync(outside, path.join(app, 'escape'));
    fs.symlinkSync(path.join(outside, 'victim.txt'), path.join(app, 'victim.js'));
    fs.linkSync(path.join(outside, 'victim.txt'), path.join(app, 'hard.js'));
    fs.mkdirSync(path.join(app, 'deep'));
    fs.symlinkSync('/', path.join(app, 'deep', 'up'));
    await expect(writeConfined(root, 'app', 'escape/pwned.txt', 'x')).rejects.toThrow(/symbolic link/);
    await expect(writeConfined(root, 'app', 'victim.js', 'x')).rejects.toThrow(/symbolic link/);
    await expect(writeConfined(root, 'app', 'deep/up/tmp/pwned.txt', 'x')).rejects.toThrow(/symbolic link/);
    await expect(writeConfined(root, 'app', 'hard.js', 'x')).rejects.toThrow(/hard links/);
    expect(fs.readdirSync(outside)).toEqual(['victim.txt']);
    expect(fs.readFileSync(path.join(outside, 'victim.txt'), 'utf8')).toBe('original');
    await writeConfined(root, 'app', 'deep/fine/server.js', 'ok');
    expect(fs.readFileSync(path.join(app, 'deep', 'fine', 'server.js'), 'utf8')).toBe('ok');
    // The app folder itself replaced by a link: refused, nothing written where it points.
    fs.rmSync(app, { recursive: true, force: true });
    fs.symlinkSync(outside, app);
    await expect(writeConfined(root, 'app', 'server.js', 'x')).rejects.toThrow(/symbolic link/);
    expect(fs.readdirSync(outside)).toEqual(['victim.txt']);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses a symlink escape that the learner’s own code planted, through the real host', { timeout: 60_000 }, async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    const { port, origin } = await startHost();
    const tab = connect(port, origin);
    // The instance runs inside the sandbox (in its own copy of the app), but the link it makes in the lab's app
    // folder lives where the host writes.
    await openAndStart(tab, 'map-trap', app(`import fs from 'node:fs';\n${LAB_FOLDERS}if (id === 'A') { fs.symlinkSync(${JSON.stringify(outside)}, labPath.join(appDir, 'escape')); console.log('planted'); }`));
    await tab.next(() => /planted/.test(logText(tab)));
    tab.send({ op: 'write', files: [{ path: 'escape/pwned.txt', content: 'gotcha' }] });
    await tab.next((m) => m.op === 'error');
    expect(errors(tab.messages).at(-1)).toMatch(/refused "escape\/pwned.txt": a folder on its way is a symbolic link/);
    expect(fs.readdirSync(outside)).toEqual([]);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses oversized files and messages, and stays up', { timeout: 30_000 }, async () => {
    const { port, origin } = await startHost();
    const tab = connect(port, origin);
    await tab.opened;
    tab.send({ op: 'open', lesson: 'map-trap', files: [{ path: 'server.js', content: 'x'.repeat(LIMITS.fileBytes + 1) }] });
    await tab.next((m) => m.op === 'error');
    expect(errors(tab.messages)[0]).toMatch(/at most 256 KB/);
    tab.send({ op: 'open', lesson: 'map-trap', files: Array.from({ length: LIMITS.files + 1 }, (_, i) => ({ path: `f${i}.js`, content: '' })) });
    await tab.next((m) => m.op === 'error' && /at most 64 files/.test(String(m.message)));
    // A frame over the message size closes that socket (1009) and nothing else.
    const big = connect(port, origin);
    await big.opened;
    const code = new Promise<number>((resolve) => big.ws.once('close', (c) => resolve(c)));
    big.send('x'.repeat(LIMITS.messageBytes + 10));
    expect(await code).toBe(1009);
    tab.send({ op: 'command', id: 5, command: { type: 'status' } });
    await tab.next((m) => m.op === 'reply' && m.id === 5);
  });

  it('survives thousands of malformed protocol messages and still runs a lab', { timeout: 120_000 }, async () => {
    const { port, origin, host } = await startHost();
    const rng = random(20261127);
    const tabs = Array.from({ length: 4 }, () => connect(port, origin));
    await Promise.all(tabs.map((tab) => tab.opened));
    let sent = 0;
    for (let round = 0; round < 500; round++) {
      for (const tab of tabs) {
        if (tab.ws.readyState !== tab.ws.OPEN) continue;
        tab.ws.send(fuzzMessage(rng));
        sent++;
      }
    }
    expect(sent).toBeGreaterThanOrEqual(1500);
    // Every tab that is still connected still gets answers, and nothing it sent became a lab command.
    for (const [index, tab] of tabs.entries()) {
      if (tab.ws.readyState !== tab.ws.OPEN) continue;
      tab.send({ op: 'command', id: 1000 + index, command: { type: 'status' } });
      await tab.next((m) => m.op === 'reply' && m.id === 1000 + index, 30_000);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const answered = tabs.flatMap((tab) => tab.messages).filter((m) => m.op === 'error' || m.op === 'reply').length;
    expect(answered).toBeGreaterThan(1000);
    // Some fuzzed opens were valid (lesson map-trap, no files): they may hold labs; closing the tabs removes them.
    for (const tab of tabs) tab.ws.close();
    await eventually(() => host.labs.size === 0, 'the fuzzed labs to be closed', 20_000);

    const fresh = connect(port, origin);
    await openAndStart(fresh, 'map-trap', app());
    expect(fresh.events('process').filter((e) => e.state === 'up').length).toBeGreaterThanOrEqual(4);
  });
});
