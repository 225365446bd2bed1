import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseIsolation } from '../../playground/server/lab-sandbox.ts';
import { app } from './helpers.ts';
import { connect, logText, openAndStart, startHost } from './host-support.ts';

// What one instance of a lab tries from inside: every result is printed as `probe <name>: <outcome>`.
function probes(hostPort: number, secretFile: string, otherLabDir: string): string {
  return `
import fs from 'node:fs';
import net from 'node:net';
const report = (name, outcome) => console.log('probe ' + name + ': ' + outcome);
const tryConnect = (name, host, port) => {
  const socket = net.connect({ host, port, timeout: 2000 });
  socket.on('connect', () => { report(name, 'connected'); socket.destroy(); });
  socket.on('timeout', () => { report(name, 'timeout'); socket.destroy(); });
  socket.on('error', (error) => report(name, error.code));
};
if (id === 'A') {
  try { report('secret', fs.readFileSync(${JSON.stringify(secretFile)}, 'utf8')); } catch (error) { report('secret', error.code); }
  try { report('other lab', fs.readdirSync(${JSON.stringify(otherLabDir)}).join(',')); } catch (error) { report('other lab', error.code); }
  try { fs.writeFileSync('/usr/lib/stateless-lab-was-here', 'x'); report('write system', 'written'); } catch (error) { report('write system', error.code); }
  tryConnect('host port', '127.0.0.1', ${hostPort});
  tryConnect('outside', '1.1.1.1', 80);
  report('uid', String(process.getuid()));
  report('host env', String(process.env.STATELESS_LAB_TEST_SECRET));
  net.createServer().listen(4555, '127.0.0.1', () => report('fixed port', 'listening')).on('error', (error) => report('fixed port', error.code));
}
`;
}

const choice = chooseIsolation('auto');
let hostServer: net.Server;
let hostPort = 0;
let secretDir = '';
let secretFile = '';

beforeAll(async () => {
  hostServer = net.createServer((socket) => { socket.on('error', () => undefined); socket.end('host service\n'); });
  await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
  hostPort = (hostServer.address() as net.AddressInfo).port;
  secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-secret-'));
  secretFile = path.join(secretDir, 'secret.txt');
  fs.writeFileSync(secretFile, 'the host secret');
  process.env.STATELESS_LAB_TEST_SECRET = 'leaked';
});

afterAll(async () => {
  delete process.env.STATELESS_LAB_TEST_SECRET;
  fs.rmSync(secretDir, { recursive: true, force: true });
  await new Promise((resolve) => hostServer.close(resolve));
});

const probeLine = (text: string, name: string) => new RegExp(`probe ${name}: (.*)`).exec(text)?.[1];

describe('lab isolation', () => {
  it('is namespaces on a Linux machine with bubblewrap (as .ci/run installs it)', () => {
    expect(fs.existsSync('/usr/bin/bwrap')).toBe(true);
    expect(choice.mode).toBe('namespaces');
    expect(choice.description).toMatch(/bubblewrap/);
  });

  it('keeps a lab away from the host network, the host files, other labs and the host environment', { timeout: 90_000 }, async () => {
    const { port, origin, host } = await startHost({ isolation: choice });
    const first = connect(port, origin);
    const second = connect(port, origin);
    const firstId = await openAndStart(first, 'map-trap', app(probes(hostPort, secretFile, '/nowhere')));
    const firstDir = [...host.labs.values()].find((entry) => entry.hosted.lab.id === firstId)!.hosted.lab.dir;
    await openAndStart(second, 'map-trap', app(probes(hostPort, secretFile, firstDir)));

    for (const tab of [first, second]) {
      await tab.next(() => probeLine(logText(tab), 'outside') !== undefined && probeLine(logText(tab), 'fixed port') !== undefined && probeLine(logText(tab), 'host port') !== undefined, 20_000);
    }
    const text = logText(second);
    expect(probeLine(text, 'secret')).toBe('ENOENT');
    expect(probeLine(text, 'other lab')).toBe('ENOENT');
    expect(probeLine(text, 'write system')).toMatch(/EROFS|EACCES/);
    expect(probeLine(text, 'host port')).toBe('ECONNREFUSED');
    expect(probeLine(text, 'outside')).toMatch(/ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|timeout/);
    expect(probeLine(text, 'host env')).toBe('undefined');
    // Both labs hold port 4555 at once: each has a loopback of its own.
    expect(probeLine(logText(first), 'fixed port')).toBe('listening');
    expect(probeLine(text, 'fixed port')).toBe('listening');
    if (process.getuid?.() === 0) expect(Number(probeLine(text, 'uid'))).not.toBe(0);
  });

  it('in ports mode, gives each lab its own port range and says which mode it is in', { timeout: 60_000 }, async () => {
    const ports = chooseIsolation('ports');
    expect(ports.mode).toBe('ports');
    expect(ports.description).toMatch(/port range/);
    const { port, origin } = await startHost({ isolation: ports });
    const tab = connect(port, origin);
    await openAndStart(tab, 'map-trap', app());
    const up = tab.events('process').filter((e) => e.state === 'up' && typeof e.port === 'number');
    expect(up.length).toBeGreaterThanOrEqual(4);
    const used = up.map((e) => Number(e.port));
    const low = Math.min(...used);
    // All of the lab's ports lie in one slot's range (24 ports starting at 42000 + 24 × slot).
    expect(low).toBeGreaterThanOrEqual(42000);
    const slotStart = 42000 + Math.floor((low - 42000) / 24) * 24;
    for (const used of up.map((e) => Number(e.port))) expect(used - slotStart).toBeLessThan(24);
  });
});
