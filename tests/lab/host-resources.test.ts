/**
 * Resource limits of a whole lab, through the real host (`npm start`): CPU however the code spends it (worker
 * threads, short naps) and the lab's cgroup quota; memory of the lab's processes together, files in /tmp
 * included; a disk of its own per lab; files left at the size limit by a process that caught EFBIG; the fallback
 * of a host that cannot make cgroups or mounts; and the clean-up of what a crashed host left.
 *
 * Each test's learner code really does the abuse, and the test checks what the learner sees (a `limit` message,
 * a stopped process, a refused write) and that a neighbouring lab keeps working.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reapStaleLabResources } from '../../playground/server/lab-resources.ts';
import { reapStaleLabDirs } from '../../playground/server/stale-labs.ts';
import { app, eventually, processesOfLab } from './helpers.ts';
import { runHost, type HostProcess } from './host-process.ts';
import { connect, logText, openAndStart, type Message, type Tab } from './host-support.ts';

const asRoot = process.getuid?.() === 0;
const root = path.join(import.meta.dirname, '..', '..');

const hosts: { child: HostProcess['child']; exited: Promise<unknown> }[] = [];
const tabs: Tab[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.ws.close();
  await Promise.all(
    hosts.splice(0).map(async (host) => {
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGTERM');
      await host.exited;
    }),
  );
  for (const dir of dirs.splice(0)) {
    await reapStaleLabResources(dir);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});

/** A LAB_ROOT of the test's own, which other users may pass through (labs run as their own users). */
function labRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-root-'));
  fs.chmodSync(dir, 0o711);
  dirs.push(dir);
  return dir;
}

async function host(env: Record<string, string>): Promise<HostProcess> {
  const started = await runHost({ LAB_ROOT: labRoot(), ...env });
  hosts.push(started);
  return started;
}

function tab(url: string): Tab {
  const opened = connect(Number(new URL(url).port), url);
  tabs.push(opened);
  return opened;
}

/** Code for one instance only, started shortly after the cluster is up. */
const later = (code: string, name = 'A') => `if (id === '${name}') setTimeout(() => { ${code} }, 400);`;
const limitMessage = (t: Tab, limit: string, timeoutMs = 30_000) => t.next((m) => m.op === 'limit' && m.limit === limit, timeoutMs);
const crashed = (t: Tab, name: string) => t.next((m) => m.op === 'event' && (m.event as Message).type === 'process' && (m.event as Message).name === name && (m.event as Message).state === 'crashed', 30_000);

/** The lab answers a command, so it is still open and its supervisor works. */
async function answers(t: Tab, id: number): Promise<void> {
  t.send({ op: 'command', id, command: { type: 'status' } });
  const reply = await t.next((m) => m.op === 'reply' && m.id === id);
  expect(reply).toMatchObject({ ok: true });
  expect(t.messages.some((m) => m.op === 'closed')).toBe(false);
}

/** A neighbouring lab on the same host, opened before the abuse and checked after it. */
async function neighbour(url: string): Promise<{ check: () => Promise<void> }> {
  const other = tab(url);
  await openAndStart(other, 'map-trap', app());
  return {
    check: async () => {
      await answers(other, 77);
      expect(other.messages.filter((m) => m.op === 'limit')).toEqual([]);
      expect(other.events('process').filter((e) => e.state === 'crashed')).toEqual([]);
    },
  };
}

/** The cgroup folders (one per hierarchy) a process is in, from /proc/<pid>/cgroup and the cgroup mounts. */
function cgroupsOf(pid: number): Map<string, string> {
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' - '))
    .filter(([, right]) => /^cgroup2? /.test(right ?? ''))
    .map(([left, right]) => ({ point: left!.split(' ')[4]!, root: left!.split(' ')[3]!, type: right!.split(' ')[0]!, options: right!.split(' ')[2]!.split(',') }));
  const found = new Map<string, string>();
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    for (const controller of controllers ? controllers.split(',') : ['']) {
      const mount = controller ? mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller)) : mounts.find((m) => m.type === 'cgroup2');
      if (mount) found.set(controller || 'unified', path.join(mount.point, cgroupPath!.slice(mount.root === '/' ? 0 : mount.root.length)));
    }
  }
  return found;
}

/** The lab's cgroup folder for a controller (v1 hierarchy of that name, or the v2 one). */
function labCgroup(labId: string, controller: 'cpu' | 'memory' | 'pids'): string {
  const pid = processesOfLab(labId)[0];
  if (pid === undefined) throw new Error(`no process of ${labId}`);
  const all = cgroupsOf(pid);
  const dir = [all.get(controller), all.get('unified')].find((candidate) => candidate !== undefined && path.basename(candidate) === `stateless-${labId}`);
  if (!dir) throw new Error(`${labId} has no ${controller} cgroup of its own: ${JSON.stringify([...all])}`);
  return dir;
}

const readNumber = (file: string) => Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
const mountedAt = (dir: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === dir);
const cgroupDirsNamed = (labId: string) =>
  ['/sys/fs/cgroup'].flatMap(function walk(dir: string): string[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries.filter((e) => e.isDirectory()).flatMap((e) => (e.name === `stateless-${labId}` ? [path.join(dir, e.name)] : dir.split('/').length < 8 ? walk(path.join(dir, e.name)) : []));
  });

describe.skipIf(!asRoot)('a whole lab’s resources (host running as root)', () => {
  it('stops a process whose worker thread spins, though its main thread waits', { timeout: 90_000 }, async () => {
    const { url } = await host({ LAB_CPU_SECONDS: '3' });
    const other = await neighbour(url);
    const t = tab(url);
    await openAndStart(t, 'map-trap', app(`import { Worker } from 'node:worker_threads';\n` + later(`new Worker('for (;;) {}', { eval: true });`, 'B')));
    const hit = (await limitMessage(t, 'CPU time', 60_000)) as Message;
    expect(String(hit.message)).toMatch(/instance B.*3 seconds/);
    await crashed(t, 'B');
    await answers(t, 9);
    await other.check();
  });

  it('stops a process that keeps a core busy with 1 ms naps', { timeout: 90_000 }, async () => {
    const { url } = await host({ LAB_CPU_SECONDS: '3' });
    const other = await neighbour(url);
    const t = tab(url);
    // Busy 20 ms, then a 1 ms timer: the thread waits 50 times a second, yet uses nearly a whole core.
    await openAndStart(t, 'map-trap', app(later(`const spin = () => { const end = Date.now() + 20; while (Date.now() < end); setTimeout(spin, 1); }; spin();`)));
    const hit = (await limitMessage(t, 'CPU time', 60_000)) as Message;
    expect(String(hit.message)).toMatch(/instance A.*3 seconds.*CPU time/);
    await crashed(t, 'A');
    await answers(t, 9);
    await other.check();
  });

  it('runs a lab in cgroups of its own from its first process, holds it to its CPU quota, and removes them with it', { timeout: 90_000 }, async () => {
    const { url } = await host({ LAB_CPU_CORES: '0.5', LAB_CPU_SECONDS: '600', LAB_MAX_PROCESSES: '30', LAB_MEMORY_MB_PER_LAB: '900' });
    const other = await neighbour(url);
    const t = tab(url);
    const labId = await openAndStart(t, 'map-trap', app(`import { Worker } from 'node:worker_threads';\n` + later(`for (let i = 0; i < 2; i++) new Worker('for (;;) {}', { eval: true });`)));
    const cpu = labCgroup(labId, 'cpu');
    const memory = labCgroup(labId, 'memory');
    const pids = labCgroup(labId, 'pids');
    // Every process of the lab, the sandbox's own included, is in the lab's cgroups.
    for (const pid of processesOfLab(labId)) {
      const groups = [...cgroupsOf(pid).values()];
      for (const dir of new Set([cpu, memory, pids])) expect(groups).toContain(dir);
    }
    const v2 = fs.existsSync(path.join(cpu, 'cpu.max'));
    expect(v2 ? fs.readFileSync(path.join(cpu, 'cpu.max'), 'utf8').trim() : readNumber(path.join(cpu, 'cpu.cfs_quota_us'))).toEqual(v2 ? '50000 100000' : 50000);
    expect(readNumber(path.join(memory, v2 ? 'memory.max' : 'memory.limit_in_bytes'))).toBe(900 * 1024 * 1024);
    expect(readNumber(path.join(pids, 'pids.max'))).toBe(30 * 24);
    // Two spinning threads want two cores; the kernel holds the lab to half of one.
    await eventually(() => /nr_throttled [1-9]/.test(fs.readFileSync(path.join(cpu, 'cpu.stat'), 'utf8')), 'the lab to be throttled', 30_000);
    expect(t.messages.filter((m) => m.op === 'limit')).toEqual([]);
    await other.check();
    const appDir = fs.realpathSync(path.join(fs.realpathSync(dirs.at(-1)!), labId, 'app'));
    expect(mountedAt(appDir)).toBe(true);
    t.ws.close();
    await eventually(() => cgroupDirsNamed(labId).length === 0 && !mountedAt(appDir) && processesOfLab(labId).length === 0, 'the lab’s cgroups, disk and processes to go', 30_000);
  });

  it('stops processes of a lab that together pass its memory, with a message naming the limit', { timeout: 90_000 }, async () => {
    const { url } = await host({ LAB_MEMORY_MB_PER_LAB: '400' });
    const other = await neighbour(url);
    const t = tab(url);
    // 150 MB each, well under the 512 MB per process; 450 MB together.
    const grow = `const hog = []; const timer = setInterval(() => { hog.push(Buffer.alloc(10 * 1024 * 1024, 1)); if (hog.length >= 15) clearInterval(timer); }, 60);`;
    await openAndStart(t, 'map-trap', app(['A', 'B', 'C'].map((name) => later(grow, name)).join('\n')));
    const hit = (await limitMessage(t, 'memory per lab')) as Message;
    expect(String(hit.message)).toMatch(/400 MB/);
    expect(t.messages.filter((m) => m.op === 'limit' && m.limit === 'memory per process')).toEqual([]);
    await answers(t, 9);
    await other.check();
  });

  it('counts the files a lab keeps in /tmp in its memory', { timeout: 120_000 }, async () => {
    // The lab's own use at rest, measured on this machine, so the limit sits between "80 MB more" and "80 MB more
    // plus 60 MB in /tmp".
    const probe = await host({});
    const quiet = tab(probe.url);
    const quietId = await openAndStart(quiet, 'map-trap', app());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const restingMb = readNumber(path.join(labCgroup(quietId, 'memory'), fs.existsSync(path.join(labCgroup(quietId, 'memory'), 'memory.current')) ? 'memory.current' : 'memory.usage_in_bytes')) / 1024 / 1024;
    quiet.ws.close();
    const limitMb = Math.round(restingMb + 80 + 30);

    const { url } = await host({ LAB_MEMORY_MB_PER_LAB: String(limitMb) });
    const allocate = `const hog = []; const timer = setInterval(() => { hog.push(Buffer.alloc(10 * 1024 * 1024, 1)); if (hog.length >= 8) { clearInterval(timer); console.log('allocated 80 MB'); } }, 60);`;
    // The neighbour allocates the same 80 MB without /tmp, and stays within the limit.
    const other = tab(url);
    await openAndStart(other, 'map-trap', app(later(allocate)));
    await eventually(() => /allocated 80 MB/.test(logText(other)), 'the neighbour to allocate', 30_000);
    const t = tab(url);
    await openAndStart(t, 'map-trap', app(`import fs from 'node:fs';\n` + later(`for (let i = 0; i < 6; i++) fs.writeFileSync('/tmp/fill-' + i, Buffer.alloc(10 * 1024 * 1024, 1)); console.log('filled /tmp'); ${allocate}`)));
    const hit = (await limitMessage(t, 'memory per lab')) as Message;
    expect(logText(t)).toMatch(/filled \/tmp/);
    expect(String(hit.message)).toMatch(new RegExp(`${limitMb} MB.*/tmp`));
    await answers(other, 8);
    expect(other.messages.filter((m) => m.op === 'limit')).toEqual([]);
  });

  it('refuses writes past the lab’s own disk with ENOSPC and says so; the lab and its neighbour go on', { timeout: 90_000 }, async () => {
    const { url } = await host({ LAB_DISK_MB: '20' });
    const other = await neighbour(url);
    const t = tab(url);
    const fill = `let written = 0; for (let i = 0; i < 25; i++) { try { fs.writeFileSync('junk-' + i + '.bin', Buffer.alloc(2 * 1024 * 1024, 1)); written++; } catch (error) { console.log('disk: ' + written + ' files written, then ' + error.code); break; } }`;
    await openAndStart(t, 'map-trap', app(`import fs from 'node:fs';\n` + later(fill)));
    const hit = (await limitMessage(t, 'disk per lab')) as Message;
    expect(String(hit.message)).toMatch(/20 MB.*ENOSPC/);
    const said = /disk: (\d+) files written, then (\w+)/.exec(logText(t));
    expect(said?.[2]).toBe('ENOSPC');
    expect(Number(said?.[1])).toBeLessThanOrEqual(10);
    expect(t.events('process').filter((e) => e.state === 'crashed')).toEqual([]);
    await answers(t, 9);
    await other.check();
  });

  it('refuses to open a lab whose files do not fit its disk, and leaves no cgroup, mount or folder behind', { timeout: 60_000 }, async () => {
    const { url } = await host({ LAB_DISK_MB: '0.5' });
    const lab = fs.realpathSync(dirs.at(-1)!);
    const t = tab(url);
    await t.opened;
    const files = [...app(), ...Array.from({ length: 4 }, (_, i) => ({ path: `data/${i}.txt`, content: 'x'.repeat(200 * 1024) }))];
    t.send({ op: 'open', lesson: 'map-trap', files });
    const refused = await t.next((m) => m.op === 'error' || m.op === 'opened');
    expect(refused).toMatchObject({ op: 'error', message: expect.stringMatching(/ENOSPC/) });
    await eventually(() => fs.readdirSync(lab).filter((name) => name.startsWith('lab-')).length === 0, 'the lab folder to go', 15_000);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(lab + '/');
    expect(fs.readdirSync(path.join(lab, 'resources'))).toEqual([]);
    // The host still opens labs that fit.
    const other = tab(url);
    await openAndStart(other, 'map-trap', app());
    await answers(other, 5);
  });

  it('tells the learner about each file a process left at the size limit after catching EFBIG', { timeout: 90_000 }, async () => {
    const { url } = await host({ LAB_FILE_MB: '1' });
    const t = tab(url);
    const write = (file: string) => `try { fs.writeFileSync('${file}', Buffer.alloc(3 * 1024 * 1024, 1)); } catch (error) { console.log('caught ' + error.code + ' for ${file}'); }`;
    // big.bin is written twice (the second attempt changes nothing); big-2.bin once, a little later.
    await openAndStart(t, 'map-trap', app(`import fs from 'node:fs';\n` + later(`${write('big.bin')} setTimeout(() => { ${write('big.bin')} ${write('big-2.bin')} }, 2500);`)));
    await eventually(() => (logText(t).match(/caught EFBIG/g) ?? []).length === 3, 'three caught EFBIG', 30_000);
    // Instance A wrote them in its working directory, its own disk (a copy of the app): named as its code names them.
    const first = (await limitMessage(t, 'file size')) as Message;
    expect(String(first.message)).toMatch(/^Instance A's file big\.bin \(on its own disk\) reached 1 MB.*EFBIG/);
    await t.next((m) => m.op === 'limit' && m.limit === 'file size' && /big-2\.bin/.test(String(m.message)), 30_000);
    // Two more walks of the folder: still one message per file.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(t.messages.filter((m) => m.op === 'limit' && m.limit === 'file size').map((m) => /^.*? file [\w.-]+/.exec(String(m.message))?.[0])).toEqual([
      "Instance A's file big.bin",
      "Instance A's file big-2.bin",
    ]);
    // Nothing was stopped: instance A is up, the lab is open.
    expect(t.events('process').filter((e) => e.state === 'crashed')).toEqual([]);
    await answers(t, 9);
  });

  it('a host starting after a crash unmounts the disks and removes the cgroups the dead host left', { timeout: 90_000 }, async () => {
    const first = await host({});
    const lab = dirs.at(-1)!;
    const t = tab(first.url);
    const labId = await openAndStart(t, 'map-trap', app());
    const appDir = path.join(fs.realpathSync(lab), labId, 'app');
    const left = cgroupDirsNamed(labId);
    expect(left.length).toBeGreaterThan(0);
    expect(mountedAt(appDir)).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    await eventually(() => processesOfLab(labId).length === 0, 'the crashed host’s lab processes to die', 15_000);
    // What the kernel holds for the lab outlives the host...
    expect(mountedAt(appDir)).toBe(true);
    expect(cgroupDirsNamed(labId)).toEqual(left);
    // ...until the next start clears it, after which the stale folder can go.
    const reaped = await reapStaleLabResources(lab);
    expect(reaped.mounts).toBe(1);
    // Old empty cgroups other dead hosts left may be cleared in the same pass.
    expect(reaped.cgroups).toBeGreaterThanOrEqual(left.length);
    expect(mountedAt(appDir)).toBe(false);
    expect(cgroupDirsNamed(labId)).toEqual([]);
    expect(await reapStaleLabDirs(lab)).toMatchObject({ dirs: 1 });
    expect(fs.existsSync(path.join(lab, labId))).toBe(false);
  });
});

/** `npm start` run by an unprivileged user: no cgroups, no mounts, no users of its own. */
async function unprivilegedHost(env: Record<string, string>): Promise<{ url: string; output: () => string }> {
  const labs = labRoot();
  fs.chownSync(labs, 65534, 65534);
  const site = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-site-'));
  dirs.push(site);
  fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>site</title>');
  fs.chmodSync(site, 0o755);
  const child = spawn('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--', process.execPath, path.join(root, 'scripts', 'start.ts')], {
    cwd: root,
    env: { ...process.env, HOME: labs, TMPDIR: labs, PORT: '0', HOST: '127.0.0.1', SITE_DIR: site, LAB_ROOT: path.join(labs, 'labs'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  hosts.push({ child, exited });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const match = /running at (http:\/\/[^\s/]+)\//.exec(output);
      if (match?.[1]) {
        clearInterval(poll);
        resolve(match[1]);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`the host exited before serving:\n${output}`));
    });
  });
  return { url, output: () => output };
}

describe.skipIf(!asRoot)('a host that cannot make cgroups or mounts', () => {
  it('has the watchdog sum the lab’s files and end a lab past its disk quota', { timeout: 90_000 }, async () => {
    const { url } = await unprivilegedHost({ LAB_DISK_MB: '10' });
    const other = await neighbour(url);
    const t = tab(url);
    const fill = `let written = 0; for (let i = 0; i < 30; i++) { try { fs.writeFileSync('junk-' + i + '.bin', Buffer.alloc(1024 * 1024, 1)); written++; } catch (error) { console.log('refused ' + error.code); break; } } console.log('disk: ' + written + ' files written');`;
    await openAndStart(t, 'map-trap', app(`import fs from 'node:fs';\n` + later(fill)));
    const hit = (await limitMessage(t, 'disk per lab')) as Message;
    expect(String(hit.message)).toMatch(/more than 10 MB/);
    await t.next((m) => m.op === 'closed' && m.code === 'limit');
    await other.check();
  });
});
