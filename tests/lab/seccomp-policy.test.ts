/**
 * The seccomp policy under real bubblewrap, passed the way the host passes it: the program is written to a file the
 * lab cannot write, opened, handed to bwrap as stdio fd 3 and named with `--seccomp 3`. When the tests run as root
 * they drop to nobody first (as the host does with each lab's own uid), so bwrap runs unprivileged in a user
 * namespace like on a production host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECCOMP_RULES, seccompProgram, type SeccompArch } from '../../playground/server/seccomp-policy.ts';

const arch = process.arch;
const native = arch === 'x64' || arch === 'arm64' ? (arch as SeccompArch) : undefined;
const canRun = process.platform === 'linux' && native !== undefined && fs.existsSync('/usr/bin/bwrap');
const asRoot = process.getuid?.() === 0;
const SIGSYS_EXIT = 128 + 31; // bwrap's pid 1 exits 128+signal when the command is killed; SIGSYS is 31 on both ABIs
const BWRAP = ['--unshare-all', '--unshare-user', '--die-with-parent', '--new-session', '--disable-userns', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'];
const PATH = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let policyDir = '';
/** Policy files, written once (as the host would at start-up) into a folder only the test's user can write. */
const policyFiles = new Map<string, string>();

beforeAll(() => {
  if (!canRun) return;
  policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-policy-'));
  fs.chmodSync(policyDir, 0o755);
  for (const target of ['x64', 'arm64']) {
    const file = path.join(policyDir, `${target}.bpf`);
    fs.writeFileSync(file, seccompProgram(target)!, { mode: 0o444 });
    policyFiles.set(target, file);
  }
});

afterAll(() => {
  if (policyDir) fs.rmSync(policyDir, { recursive: true, force: true });
});

/** Run `command` in a sandbox, with the policy for `policy` (an architecture) or with none. */
function sandboxed(command: string[], policy: string | undefined, env: Record<string, string> = {}): Promise<Result> {
  const drop = asRoot ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--'] : [];
  const all = [...drop, 'bwrap', ...BWRAP, ...(policy ? ['--seccomp', '3'] : []), '--', ...command];
  const fd = policy ? fs.openSync(policyFiles.get(policy)!, 'r') : undefined;
  let child: ChildProcess;
  try {
    child = spawn(all[0]!, all.slice(1), {
      stdio: fd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', fd],
      env: { PATH, HOME: '/tmp', LANG: 'C.UTF-8', ...env },
    });
  } finally {
    if (fd !== undefined) fs.closeSync(fd); // the child has its own copy
  }
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Whether the kernel lets unprivileged processes use io_uring at all (kernel.io_uring_disabled, 6.6 and later). */
function ioUringEnabled(): boolean {
  try {
    return fs.readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() === '0';
  } catch {
    return false; // no switch (before 6.6): make no claim about it
  }
}

/**
 * Yama's ptrace scope: above 0 it already stops a child from attaching to its parent, so the "without the policy"
 * results below can only be checked where it is absent or 0 (as on this project's machines).
 */
function yamaScope(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim());
  } catch {
    return 0;
  }
}

const nr = (name: string): number => {
  const rule = SECCOMP_RULES.find((r) => r.name === name);
  if (!rule) throw new Error(`no rule for ${name}`);
  return rule[native!];
};

/**
 * The learner's side, in perl: every way to reach the parent (the "supervisor") that the policy covers, then the two
 * that go through paths, which it cannot cover. Each line is `name=ok` or `name=err:ERRNO`.
 */
function attackScript(): string {
  return `
use strict; use warnings; use Fcntl;
my $pp = getppid();
sub rep { my ($name, $ok, $errno) = @_; print "$name=", ($ok ? "ok" : "err:$errno"), "\\n"; }
my ($addr) = map { /^([0-9a-f]+)-\\S+ r..p 00000000 .*\\// ? hex($1) : () } do { open(my $m, '<', "/proc/$pp/maps") or die "maps: $!"; <$m> };
defined $addr or die 'no file mapping in the parent';

my $pidfd = syscall(434, $pp, 0); rep('pidfd_open', $pidfd >= 0, $!+0); # 434 on every ABI
my $fd = $pidfd >= 0 ? syscall(${nr('pidfd_getfd')}, $pidfd, 1, 0) : -1; rep('pidfd_getfd', $fd >= 0, $!+0);
if ($fd >= 0) { open(my $h, '>&=', $fd) or die; syswrite($h, "FORGED via pidfd_getfd\\n"); }

my $r = syscall(${nr('ptrace')}, 16, $pp, 0, 0); rep('ptrace_attach', $r == 0, $!+0); # PTRACE_ATTACH
if ($r == 0) { waitpid($pp, 0x40000000); syscall(${nr('ptrace')}, 17, $pp, 0, 0); } # __WALL; PTRACE_DETACH

my $buf = "\\0" x 4;
my $local = pack('QQ', unpack('Q', pack('p', $buf)), 4);
my $remote = pack('QQ', $addr, 4);
my $n = syscall(${nr('process_vm_readv')}, $pp, $local, 1, $remote, 1, 0); my $e = $!+0;
rep('process_vm_readv', $n == 4 && $buf eq "\\x7fELF", $e);

my $params = "\\0" x 120;
my $ring = syscall(${nr('io_uring_setup')}, 4, $params); rep('io_uring_setup', $ring >= 0, $!+0);

# Path-based: seccomp sees only numbers, so these depend on the kernel's same-user ptrace rules.
if (sysopen(my $p, "/proc/$pp/fd/1", O_WRONLY)) { rep('proc_fd_open', 1); syswrite($p, "FORGED via /proc/fd\\n"); }
else { rep('proc_fd_open', 0, $!+0); }
if (sysopen(my $mem, "/proc/$pp/mem", O_RDWR)) {
  rep('proc_mem_open', 1);
  sysseek($mem, $addr, 0); my $got = ''; my $read = sysread($mem, $got, 4) // -1; rep('proc_mem_read', $read == 4 && $got eq "\\x7fELF", $!+0);
  sysseek($mem, $addr, 0); my $wrote = syswrite($mem, $got) // -1; rep('proc_mem_write', $wrote == 4, $!+0); # the same bytes back
} else { rep('proc_mem_open', 0, $!+0); }
`;
}

/**
 * The supervisor's side, in Node like the real one: it starts the learner's program with piped output and relays it
 * as one JSON line, so anything else on its stdout was written behind its back.
 */
const SUPERVISOR = `
const { spawn } = require('node:child_process');
const child = spawn('perl', ['-e', process.env.ATTACK], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
child.on('close', (code, signal) => process.stdout.write(JSON.stringify({ type: 'report', out, code, signal }) + '\\n'));
`;

interface Attack {
  report: Record<string, string>;
  forged: string[];
  raw: Result;
}

async function attack(policy: string | undefined, shellPipe = false): Promise<Attack> {
  const supervisor = [process.execPath, '-e', SUPERVISOR];
  // shellPipe: the supervisor's stdout is a real pipe (made by sh) rather than the socket that Node's spawn makes.
  const command = shellPipe ? ['sh', '-c', '"$@" | cat', 'sh', ...supervisor] : supervisor;
  const raw = await sandboxed(command, policy, { ATTACK: attackScript() });
  const lines = raw.stdout.split('\n').filter(Boolean);
  const reportLine = lines.find((line) => line.startsWith('{"type":"report"'));
  if (!reportLine) throw new Error(`no report from the supervisor: ${JSON.stringify(raw)}`);
  const { out, code } = JSON.parse(reportLine) as { out: string; code: number };
  if (code !== 0) throw new Error(`the attack script failed (${code}): ${out}`);
  const report = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=') as [string, string]));
  return { report, forged: lines.filter((line) => line.startsWith('FORGED')), raw };
}

describe.skipIf(!canRun)('seccomp policy under bubblewrap', () => {
  it('refuses pidfd_getfd, ptrace and process_vm_readv on the supervisor, which succeed without it', async () => {
    const open = await attack(undefined);
    expect(open.report.pidfd_open).toBe('ok');
    if (yamaScope() === 0) {
      // Without the policy a same-user learner takes the supervisor's stdout and forges a line to the host.
      expect(open.report).toMatchObject({ pidfd_getfd: 'ok', ptrace_attach: 'ok', process_vm_readv: 'ok' });
      expect(open.forged).toContain('FORGED via pidfd_getfd');
    }
    if (ioUringEnabled()) expect(open.report.io_uring_setup).toBe('ok');

    const closed = await attack(native);
    expect(closed.report).toMatchObject({ pidfd_open: 'ok', pidfd_getfd: 'err:1', ptrace_attach: 'err:1', process_vm_readv: 'err:1', io_uring_setup: 'err:1' });
    expect(closed.forged).not.toContain('FORGED via pidfd_getfd');
  });

  it('cannot cover /proc/<pid>/mem or reopening a pipe through /proc/<pid>/fd (paths, not syscall numbers)', async () => {
    // The supervisor's stdout as the host makes it (Node's spawn 'pipe', a socket pair): sockets cannot be reopened.
    const socket = await attack(native);
    expect(socket.report.proc_fd_open).toBe('err:6'); // ENXIO
    expect(socket.forged).toEqual([]);
    // Memory through /proc is governed by the kernel's ptrace access check (same user, and the target dumpable), which
    // the policy cannot see: with a supervisor on an ordinary, readable Node, learner code can still open, read and
    // write its memory. What closes this is the supervisor not being dumpable (the host's execute-only Node copy), a
    // Landlock domain around learner code, or another uid for it — not seccomp.
    if (yamaScope() === 0) expect(socket.report).toMatchObject({ proc_mem_open: 'ok', proc_mem_read: 'ok' });
    // Had the supervisor's stdout been a real pipe, a learner could reopen it for writing despite the policy.
    const pipe = await attack(native, true);
    expect(pipe.report.proc_fd_open).toBe('ok');
    expect(pipe.forged).toContain('FORGED via /proc/fd');
  });

  const NODE_CHECKS = `
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { spawn, execFileSync, fork } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const once = (emitter, name) => new Promise((resolve, reject) => { emitter.once(name, resolve); if (name !== 'error') emitter.once('error', reject); });
(async () => {
  const r = { version: process.version };
  const dir = fs.mkdtempSync('/tmp/checks-');
  await fs.promises.writeFile(path.join(dir, 'a.txt'), 'hello');
  const many = await Promise.all(Array.from({ length: 32 }, (_, i) => fs.promises.writeFile(path.join(dir, 'f' + i), String(i)).then(() => fs.promises.readFile(path.join(dir, 'f' + i), 'utf8'))));
  r.fileIo = (await fs.promises.readFile(path.join(dir, 'a.txt'), 'utf8')) === 'hello' && many.join(',') === Array.from({ length: 32 }, (_, i) => i).join(',') && fs.readdirSync(dir).length === 33;
  r.execSync = execFileSync('sh', ['-c', 'echo child']).toString() === 'child\\n';
  const child = spawn(process.execPath, ['-e', 'console.log(6 * 7)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = ''; child.stdout.on('data', (d) => (out += d));
  r.spawn = (await once(child, 'close')) === 0 && out === '42\\n';
  fs.writeFileSync(path.join(dir, 'ipc.js'), 'process.on("message", (m) => { process.send(m * 2); process.disconnect(); });');
  const forked = fork(path.join(dir, 'ipc.js'));
  forked.send(21);
  r.forkIpc = (await once(forked, 'message')) === 42;
  const worker = new Worker('require("node:worker_threads").parentPort.postMessage(21 * 2)', { eval: true });
  r.worker = (await once(worker, 'message')) === 42;
  const server = net.createServer((socket) => socket.end('pong')).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  let reply = ''; client.on('data', (d) => (reply += d));
  await once(client, 'end');
  r.tcp = reply === 'pong';
  server.close();
  fs.mkdirSync(path.join(dir, 'watched'));
  const watcher = fs.watch(path.join(dir, 'watched'));
  const changed = new Promise((resolve) => watcher.once('change', (type, filename) => resolve(filename)));
  fs.writeFileSync(path.join(dir, 'watched', 'x.txt'), 'x');
  r.watch = (await changed) === 'x.txt';
  watcher.close();
  r.threadpool = zlib.gunzipSync(await new Promise((res, rej) => zlib.gzip('z'.repeat(1e5), (e, b) => (e ? rej(e) : res(b))))).length === 1e5
    && (await new Promise((res) => crypto.randomBytes(16, (e, b) => res(!e && b.length === 16))));
  r.ioUringRings = fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[io_uring]'; } catch { return false; } }).length;
  console.log(JSON.stringify(r));
})().catch((e) => { console.error(e); process.exit(1); });
`;

  const nodes = [process.execPath, ...['/usr/bin/node'].filter((file) => fs.existsSync(file) && fs.realpathSync(file) !== fs.realpathSync(process.execPath))];
  for (const node of nodes) {
    for (const ioUring of [false, true]) {
      it(`leaves Node working (${node}${ioUring ? ', libuv told to use io_uring' : ''}): files, processes, workers, TCP, fs.watch`, async () => {
        const result = await sandboxed([node, '-e', NODE_CHECKS], native, ioUring ? { UV_USE_IO_URING: '1' } : {});
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        const checks = JSON.parse(result.stdout) as Record<string, unknown>;
        expect(checks).toMatchObject({ fileIo: true, execSync: true, spawn: true, forkIpc: true, worker: true, tcp: true, watch: true, threadpool: true, ioUringRings: 0 });
        if (ioUring && ioUringEnabled()) {
          // Without the policy libuv does set up io_uring rings here, so the run above really took its fallback.
          const open = await sandboxed([node, '-e', NODE_CHECKS], undefined, { UV_USE_IO_URING: '1' });
          expect((JSON.parse(open.stdout) as { ioUringRings: number }).ioUringRings).toBeGreaterThan(0);
        }
      });
    }
  }

  it('leaves sh and perl working', async () => {
    const result = await sandboxed(['sh', '-c', 'cd /tmp && echo one > f && cat f | perl -ne "chomp; print qq(\\$_-two\\n)" && (sleep 0 & wait) && echo three'], native);
    expect(result).toMatchObject({ code: 0, stdout: 'one-two\nthree\n' });
  });

  it('leaves redis-server working: it starts, answers PING, stores a key and forks a background save', { skip: !fs.existsSync('/usr/bin/redis-server') }, async () => {
    const client = `
const { spawn } = require('node:child_process');
const net = require('node:net');
const server = spawn('/usr/bin/redis-server', ['--port', '6390', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'], { stdio: ['ignore', 'ignore', 'inherit'] });
let exited = null;
server.on('exit', (code, signal) => (exited = { code, signal }));
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  let socket;
  for (let i = 0; !socket; i++) {
    if (exited || i > 400) throw new Error('redis-server did not start: ' + JSON.stringify(exited));
    socket = await new Promise((res) => { const s = net.connect(6390, '127.0.0.1'); s.once('connect', () => res(s)); s.once('error', () => res(undefined)); });
    if (!socket) await pause(25);
  }
  let buffered = '';
  socket.on('data', (d) => (buffered += d));
  const complete = (text) => { if (!text.endsWith('\\r\\n')) return false; if (text[0] !== '$') return true; const n = Number(text.slice(1, text.indexOf('\\r\\n'))); return n < 0 || Buffer.byteLength(text) >= text.indexOf('\\r\\n') + 2 + n + 2; };
  const command = async (...args) => {
    buffered = '';
    socket.write('*' + args.length + '\\r\\n' + args.map((a) => '$' + Buffer.byteLength(a) + '\\r\\n' + a + '\\r\\n').join(''));
    while (!complete(buffered)) await pause(5);
    return buffered;
  };
  const r = { ping: await command('PING'), set: await command('SET', 'k', 'v'), get: await command('GET', 'k'), bgsave: await command('BGSAVE') };
  let info = '';
  for (let i = 0; i < 400; i++) { info = await command('INFO', 'persistence'); if (info.includes('rdb_bgsave_in_progress:0')) break; await pause(25); }
  r.saved = info.includes('rdb_last_bgsave_status:ok') && info.includes('rdb_bgsave_in_progress:0');
  socket.write('*2\\r\\n$8\\r\\nSHUTDOWN\\r\\n$6\\r\\nNOSAVE\\r\\n');
  await new Promise((res) => server.once('exit', res));
  console.log(JSON.stringify(r));
})().catch((e) => { console.error(String(e)); server.kill(); process.exit(1); });
`;
    const result = await sandboxed([process.execPath, '-e', client], native);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ping: '+PONG\r\n', set: '+OK\r\n', get: '$1\r\nv\r\n', bgsave: '+Background saving started\r\n', saved: true });
  });

  it('kills a command whose policy is for another architecture, and (x86_64) the x32 ABI; the native one runs and bwrap closes fd 3', async () => {
    const probe = ['sh', '-c', 'test -e /proc/$$/fd/3 && echo ran-fd3-open || echo ran-fd3-closed'];
    const right = await sandboxed(probe, native);
    expect(right).toMatchObject({ code: 0, stdout: 'ran-fd3-closed\n' });
    const wrong = await sandboxed(probe, native === 'x64' ? 'arm64' : 'x64');
    expect(wrong.stdout).toBe('');
    expect(wrong.code).toBe(SIGSYS_EXIT);
    if (native === 'x64') {
      // getpid through the x32 ABI: without a policy the kernel answers (or says ENOSYS); with it, the process dies.
      const x32 = ['perl', '-e', '$| = 1; print "before\\n"; syscall(0x40000000 | 39); print "after\\n"'];
      expect(await sandboxed(x32, undefined)).toMatchObject({ code: 0, stdout: 'before\nafter\n' });
      expect(await sandboxed(x32, native)).toMatchObject({ code: SIGSYS_EXIT, stdout: 'before\n' });
    }
  });
});
