import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../playground/server/host-config.ts';
import { cgroupFolder, cgroupSettings, describeCgroups, parseCgroupMounts, parseProcCgroup, unescapeMountPath } from '../../playground/server/lab-cgroup.ts';
import { diskInodes } from '../../playground/server/lab-disk.ts';
import { scanFolder } from '../../playground/server/lab-watchdog.ts';

const MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 /process_api /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:40 / /tmp/lab\\040root/lab-x/app rw,nosuid,nodev - tmpfs tmpfs rw,size=1024k`;

const PROC_CGROUP = `9:name=systemd:/
8:pids:/
4:memory:/process_api/ee04
2:cpu,cpuacct:/
0::/user.slice`;

describe('cgroup and mount tables', () => {
  it('reads the cgroup mounts, telling cpu from cpuset and cpuacct', () => {
    const mounts = parseCgroupMounts(MOUNTINFO);
    expect(mounts.map((m) => [m.mountPoint, m.type])).toEqual([
      ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup'],
      ['/sys/fs/cgroup/cpuset', 'cgroup'],
      ['/sys/fs/cgroup/memory', 'cgroup'],
      ['/sys/fs/cgroup/pids', 'cgroup'],
      ['/sys/fs/cgroup/unified', 'cgroup2'],
    ]);
    expect(mounts.filter((m) => m.options.includes('cpu')).map((m) => m.mountPoint)).toEqual(['/sys/fs/cgroup/cpu,cpuacct']);
    expect(unescapeMountPath('/tmp/lab\\040root/lab-x/app')).toBe('/tmp/lab root/lab-x/app');
  });

  it('finds the host’s own cgroup in each hierarchy, also under a mount that shows only part of it', () => {
    const own = parseProcCgroup(PROC_CGROUP);
    expect(own.v2).toBe('/user.slice');
    expect(own.v1.get('cpu')).toBe('/');
    expect(own.v1.get('cpuacct')).toBe('/');
    const mounts = parseCgroupMounts(MOUNTINFO);
    const memory = mounts.find((m) => m.options.includes('memory'))!;
    expect(cgroupFolder(memory, own.v1.get('memory')!)).toBe('/sys/fs/cgroup/memory/ee04');
    // A cgroup outside what the mount shows cannot be reached through it.
    expect(cgroupFolder(memory, '/elsewhere')).toBeUndefined();
    expect(cgroupFolder(mounts.find((m) => m.type === 'cgroup2')!, '/user.slice')).toBe('/sys/fs/cgroup/unified/user.slice');
  });

  it('says what each lab is held to, and why a controller is missing', () => {
    const limits = { ...DEFAULT_LIMITS, cpuCores: 0.5, processesPerLab: 10 };
    expect(describeCgroups({ hierarchies: [{ version: 1, controllers: ['cpu', 'memory'], parent: '/x' }], missing: [{ controller: 'pids', reason: 'no cgroup hierarchy offers it' }] }, limits)).toBe(
      'cgroup limits per lab: CPU 0.5 cores (cgroup v1), memory 1536 MB (cgroup v1); without pids: no cgroup hierarchy offers it',
    );
    const refused = 'cgroup v1: not permitted to create cgroups';
    expect(describeCgroups({ hierarchies: [], missing: (['cpu', 'memory', 'pids'] as const).map((controller) => ({ controller, reason: refused })) }, limits)).toBe(
      'no cgroup limits per lab (cpu, memory, pids: cgroup v1: not permitted to create cgroups), so the watchdog alone limits CPU and memory',
    );
  });

  it('sets a lab’s quota, memory without swap and task count in the files of each cgroup version', () => {
    const limits = { ...DEFAULT_LIMITS, cpuCores: 1.5, memoryMbPerLab: 100, processesPerLab: 10 };
    expect(cgroupSettings({ version: 2, controllers: ['cpu', 'memory', 'pids'], parent: '/x' }, limits)).toEqual([
      ['cpu.max', '150000 100000', 'required'],
      ['memory.max', String(100 * 1024 * 1024), 'required'],
      ['memory.swap.max', '0', 'optional'],
      ['pids.max', '240', 'required'],
    ]);
    // v1: memsw (memory + swap) only after the memory limit, equal to it.
    expect(cgroupSettings({ version: 1, controllers: ['memory'], parent: '/x' }, limits)).toEqual([
      ['memory.limit_in_bytes', String(100 * 1024 * 1024), 'required'],
      ['memory.memsw.limit_in_bytes', String(100 * 1024 * 1024), 'optional'],
    ]);
    expect(cgroupSettings({ version: 1, controllers: ['cpu'], parent: '/x' }, { ...limits, cpuCores: 0.001 })).toContainEqual(['cpu.cfs_quota_us', '1000', 'required']);
  });

  it('gives a lab’s disk more inodes than the files the watchdog allows, so its message comes first', () => {
    expect(diskInodes({ ...DEFAULT_LIMITS, files: 60 })).toBeGreaterThan(60 + 3);
    expect(diskInodes({ ...DEFAULT_LIMITS, files: 2000 })).toBeLessThan(2500);
  });
});

describe('scanning a lab folder', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  function folder(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-'));
    made.push(dir);
    fs.mkdirSync(path.join(dir, 'app', 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'checks.js'), 'x'.repeat(100));
    fs.writeFileSync(path.join(dir, 'app', 'server.js'), 'x'.repeat(5000));
    fs.writeFileSync(path.join(dir, 'app', 'data', 'big.bin'), Buffer.alloc(300_000, 1));
    fs.symlinkSync('/usr', path.join(dir, 'node_modules'));
    fs.symlinkSync('/usr', path.join(dir, 'app', 'link'));
    return dir;
  }

  it('counts entries, sums the space files take and finds files at the size limit, without following links', async () => {
    const dir = folder();
    const scan = await scanFolder(dir, 100, { sizes: true, bigAt: 300_000 });
    // checks.js, app, app/server.js, app/data, app/data/big.bin, app/link (node_modules is skipped)
    expect(scan.count).toBe(6);
    expect(scan.bytes).toBeGreaterThanOrEqual(300_000 + 5000 + 100);
    expect(scan.bytes).toBeLessThan(1024 * 1024);
    expect(scan.big.map((file) => file.relative)).toEqual([path.join('app', 'data', 'big.bin')]);
  });

  it('keeps a folder measured otherwise apart, stat-ing it only when asked', async () => {
    const dir = folder();
    const apart = await scanFolder(dir, 100, { sizes: true, bigAt: 300_000, apart: 'app', sizesApart: false });
    expect(apart.count).toBe(6);
    expect(apart.bytes).toBeLessThan(100_000);
    expect(apart.bytesApart).toBe(0);
    expect(apart.big).toEqual([]);
    const measured = await scanFolder(dir, 100, { sizes: true, bigAt: 300_000, apart: 'app', sizesApart: true });
    expect(measured.bytesApart).toBeGreaterThanOrEqual(305_000);
    expect(measured.big).toHaveLength(1);
  });

  it('stops once past the limit', async () => {
    const dir = folder();
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, 'app', `f${i}`), '');
    expect((await scanFolder(dir, 10, { sizes: false })).count).toBe(11);
  });
});
