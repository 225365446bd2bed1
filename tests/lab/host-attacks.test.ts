/**
 * Attacks on the lab host from an audit, each through a real `npm start` process: learner code (and hostile
 * requests) against the host's files, its uptime, its event stream, its clean-up, its origin checks, its grading,
 * its users and its idle timer. Every test asserts what a learner or operator would see.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLesson } from '../../playground/course/lessons.ts';
import { app, eventually, processesOfLab } from './helpers.ts';
import { connect, LAB_FOLDERS, logText, openAndStart, type Message, type Tab } from './host-support.ts';
import {
  crashText,
  exitOf,
  hostUp,
  labFolders,
  labRoot,
  portOf,
  processState,
  rawRequest,
  settled,
  startHost,
  statusOf,
  tempDir,
  whenTriggered,
  type RawRequest,
} from './attack-support.ts';

const tabOf = (url: string, headers: Record<string, string> = {}, origin = url) => connect(portOf(url), origin, headers);
const errors = (tab: Tab) => tab.messages.filter((m) => m.op === 'error').map((m) => String(m.message));
const closedMessage = (tab: Tab) => tab.messages.find((m) => m.op === 'closed');
const describeHost = async (host: Awaited<ReturnType<typeof startHost>>) =>
  (await hostUp(host)) ? 'up' : `down (${exitOf(host) ?? 'its /health does not answer 200'})${crashText(host) ? `: ${crashText(host)}` : ''}`;

/** Open a plain lab on `url` and start it: the host still does its job. */
async function freshLabOpens(url: string): Promise<boolean> {
  const tab = tabOf(url);
  await openAndStart(tab, 'map-trap', app());
  const up = tab.events('process').filter((e) => e.state === 'up').length;
  tab.ws.close();
  return up >= 3;
}

/**
 * Perl, run by learner code with its supervisor's pid, the forged lines and nothing else: takes the supervisor's
 * stdout with pidfd_open + pidfd_getfd (x86-64 system calls 434 and 438), writes the forged lines, then 600 MB
 * without a newline.
 */
const PERL_HIJACK = String.raw`
my ($pid, $forged) = @ARGV;
my $pidfd = syscall(434, $pid + 0, 0);
die "hijack: pidfd_open failed: $!\n" if $pidfd < 0;
my $fd = syscall(438, $pidfd, 1, 0);
die "hijack: pidfd_getfd failed: $!\n" if $fd < 0;
open(my $out, '>&=', $fd) or die "hijack: cannot use the descriptor: $!\n";
binmode $out;
sub put {
  my ($data) = @_;
  my $done = 0;
  while ($done < length $data) {
    my $n = syswrite($out, $data, length($data) - $done, $done);
    if (!defined $n) {
      die "hijack: write failed: $!\n" unless $!{EAGAIN};
      # The descriptor is non-blocking (it is the supervisor's own): wait until the host has read some.
      my $writable = '';
      vec($writable, $fd, 1) = 1;
      select(undef, $writable, undef, 1);
      next;
    }
    $done += $n;
  }
}
put("\n" . $forged . "\n");
my $chunk = 'x' x (1024 * 1024);
put($chunk) for 1 .. 600;
put("\n");
print "hijack: written\n";
`;

describe('lab host attacks', () => {
  it('learner code that swaps its app folder for a link cannot make the host write outside the lab', { timeout: 90_000 }, async () => {
    const outside = tempDir('outside-');
    const victim = path.join(outside, 'victim.txt');
    fs.writeFileSync(victim, 'original\n');
    fs.chmodSync(victim, 0o644);
    const host = await startHost({ LAB_ROOT: labRoot() });
    const tab = tabOf(host.url);
    // If the lab's own user could write the lab folder, the parent of app/, it could move app/ away and put a link
    // there.
    const attack = `try {
      process.chdir(labDir);
      fs.renameSync('app', 'app-moved');
      fs.symlinkSync(${JSON.stringify(outside)}, 'app');
      console.log('attack: planted');
    } catch (error) {
      console.log('attack: failed ' + error.code);
    }`;
    await openAndStart(tab, 'map-trap', app(whenTriggered('go.txt', attack)));
    tab.send({ op: 'write', files: [{ path: 'go.txt', content: '' }] });
    await tab.next(() => /attack: (planted|failed)/.test(logText(tab)), 30_000);

    tab.send({ op: 'write', files: [{ path: 'pwned.txt', content: 'gotcha\n' }, { path: 'victim.txt', content: 'gotcha\n' }] });
    // Messages are handled in order: once this command is answered, the write above has been carried out.
    tab.send({ op: 'command', id: 2, command: { type: 'status' } });
    await tab.next((m) => (m.op === 'reply' && m.id === 2) || m.op === 'closed', 30_000);

    const stat = fs.statSync(victim);
    expect({
      outside: fs.readdirSync(outside),
      victim: { content: fs.readFileSync(victim, 'utf8'), owner: `${stat.uid}:${stat.gid}`, mode: (stat.mode & 0o777).toString(8) },
    }).toEqual({ outside: ['victim.txt'], victim: { content: 'original\n', owner: '0:0', mode: '644' } });
    // When the link was planted, the page learns that its files were refused.
    if (/attack: planted/.test(logText(tab))) expect(errors(tab).join('\n')).toMatch(/refused/);
  });

  it('a malformed join cookie gets an HTTP answer everywhere and never stops the host', { timeout: 120_000 }, async () => {
    const env = { LAB_JOIN_TOKEN: 'class-join-token-for-tests', LAB_ROOT: labRoot() };
    let host = await startHost(env);
    const cases: { name: string; request: Omit<RawRequest, 'headers'>; origin?: boolean; accept: number[] }[] = [
      { name: 'GET /lab', request: { path: '/lab' }, accept: [200, 400, 401] },
      { name: 'WebSocket /lab', request: { path: '/lab', upgrade: true }, origin: true, accept: [400, 401] },
      { name: 'WebSocket /redis-relay', request: { path: '/redis-relay?token=x', upgrade: true }, origin: true, accept: [400, 401] },
      { name: 'POST /redis-relay/session', request: { path: '/redis-relay/session', method: 'POST' }, origin: true, accept: [400, 401] },
      { name: 'GET / (a page)', request: { path: '/' }, accept: [200, 400, 401] },
    ];
    const outcomes: string[] = [];
    for (const { name, request, origin, accept } of cases) {
      // A host that an earlier request brought down is replaced, so every request is tried.
      if (!(await hostUp(host))) host = await startHost(env);
      const answer = await rawRequest(host.url, { ...request, headers: { cookie: 'lab_join=%', ...(origin ? { origin: host.url } : {}) } });
      if (!('status' in answer)) await settled(() => exitOf(host) !== undefined, 3000);
      const status = statusOf(answer);
      const state = await describeHost(host);
      const fine = typeof status === 'number' && accept.includes(status) && state === 'up';
      outcomes.push(`${name}: ${fine ? 'answered, host up' : `got ${status}, host ${state}`}`);
    }
    expect(outcomes).toEqual(cases.map(({ name }) => `${name}: answered, host up`));
  });

  it('a lab ended at its file limit while files are still being written leaves the host up and no folder behind', { timeout: 120_000 }, async () => {
    const root = labRoot();
    const host = await startHost({ LAB_ROOT: root, LAB_MAX_FILES: '30' });
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 3 && (await hostUp(host)); attempt++) {
      const tab = tabOf(host.url);
      // The learner's code writes new files into the app folder, where the host writes too, as fast as it can…
      const flood = `import fs from 'node:fs';
${LAB_FOLDERS}
if (id === 'A') {
  let n = 0;
  setInterval(() => { for (let i = 0; i < 20; i++) { try { const junk = labPath.join(appDir, 'junk-' + (n % 50)); fs.mkdirSync(junk, { recursive: true }); fs.writeFileSync(junk + '/' + n++ + '.txt', 'x'); } catch {} } }, 2);
}`;
      const labId = await openAndStart(tab, 'map-trap', app(flood), { start: false });
      tab.send({ op: 'command', id: 1, command: { type: 'start' } });
      // …and the page keeps sending batches of 64 new files, each at the end of a chain of new folders (so each
      // batch takes the host a while to write), until the host ends the lab.
      const deep = (round: number, i: number) => `w${round}-${i}/${'d/'.repeat(80)}f.js`;
      for (let round = 0; tab.ws.readyState === tab.ws.OPEN && !closedMessage(tab) && round < 3000; round++) {
        tab.send({ op: 'write', files: Array.from({ length: 64 }, (_, i) => ({ path: deep(round, i), content: `// ${round} ${i}\n` })) });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await eventually(() => closedMessage(tab) !== undefined || exitOf(host) !== undefined, 'the lab to be ended', 60_000);
      await tab.closed;
      const closed = closedMessage(tab);
      // The folder goes with the lab (or the host has crashed, which the outcome below reports).
      await settled(() => !fs.existsSync(path.join(root, labId)) || exitOf(host) !== undefined, 20_000);
      outcomes.push(`lab ${attempt + 1}: closed ${String(closed?.code)}, folder ${fs.existsSync(path.join(root, labId)) ? 'left behind' : 'gone'}, host ${await describeHost(host)}`);
    }
    expect(outcomes).toEqual([1, 2, 3].map((n) => `lab ${n}: closed limit, folder gone, host up`));
    expect(await freshLabOpens(host.url)).toBe(true);
  });

  it('learner code writing into its supervisor’s event stream forges nothing and does not bring the host down', { timeout: 120_000 }, async () => {
    const host = await startHost({ LAB_ROOT: labRoot() });
    const tab = tabOf(host.url);
    // The marker is put together at run time, so no error message quoting this source can contain it. Node's
    // stdio pipes are socket pairs, which /proc/<pid>/fd cannot reopen: then perl takes the descriptor itself.
    const attack = `const marker = ['forged', 'marker'].join('-');
    const forged = JSON.stringify({ type: 'log', name: 'FORGED', stream: 'stdout', text: marker }) + '\\n' +
      JSON.stringify({ type: 'checks', version: 2, status: 'pass', message: marker, tests: [{ name: marker, status: 'pass', message: null, ms: 1, seed: 1 }] });
    let fd;
    try {
      fd = fs.openSync('/proc/' + process.ppid + '/fd/1', 'w');
    } catch (error) {
      console.log('hijack: /proc/' + process.ppid + '/fd/1 cannot be opened (' + error.code + '), trying pidfd_getfd');
    }
    if (fd === undefined) {
      const perl = spawnSync('/usr/bin/perl', ['-e', ${JSON.stringify(PERL_HIJACK)}, String(process.ppid), forged], { stdio: ['ignore', 'inherit', 'inherit'] });
      console.log('hijack: perl ended with ' + (perl.error?.code ?? perl.status));
      return;
    }
    const writeAll = (data) => { for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done); };
    try {
      writeAll(Buffer.from('\\n' + forged + '\\n'));
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      for (let i = 0; i < 600; i++) writeAll(chunk);
      writeAll(Buffer.from('\\n'));
      console.log('hijack: written');
    } catch (error) {
      console.log('hijack: write failed: ' + error.code);
    }`;
    await openAndStart(tab, 'map-trap', app(`import { spawnSync } from 'node:child_process';\n${whenTriggered('go.txt', attack)}`));
    tab.send({ op: 'write', files: [{ path: 'go.txt', content: '' }] });
    // Until the attack is over: the instance says how it went, the lab is ended, or the host is gone.
    await settled(() => /hijack: (written|write failed|perl ended)/.test(logText(tab)) || closedMessage(tab) !== undefined || exitOf(host) !== undefined, 90_000);

    const forged = tab.messages.filter((m: Message) => JSON.stringify(m).includes('forged-marker'));
    expect({ forged: forged.map((m) => JSON.stringify(m).slice(0, 160)), host: await describeHost(host) }).toEqual({ forged: [], host: 'up' });
    expect(await freshLabOpens(host.url)).toBe(true);
  });

  it('learner code cannot reach its supervisor’s memory or trace it (sealed Node, seccomp)', { timeout: 90_000 }, async () => {
    const host = await startHost({ LAB_ROOT: labRoot() });
    const tab = tabOf(host.url);
    // Each attempt prints `reach <what>: <outcome>`; the supervisor is the instance's parent.
    const attempts = `import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
if (id === 'A') {
  const report = (what, outcome) => console.log('reach ' + what + ': ' + outcome);
  for (const [what, flags] of [['mem', 'r+'], ['environ', 'r']]) {
    try { fs.closeSync(fs.openSync('/proc/' + process.ppid + '/' + what, flags)); report(what, 'opened'); } catch (error) { report(what, error.code); }
  }
  const perl = (code) => spawnSync('/usr/bin/perl', ['-e', code, String(process.ppid)], { encoding: 'utf8' }).stdout.trim();
  // ptrace(PTRACE_ATTACH = 16) and process_vm_readv are 101 and 310 on x86_64, 117 and 270 on aarch64.
  const [ptrace, vmRead] = process.arch === 'arm64' ? [117, 270] : [101, 310];
  report('ptrace', perl('my $r = syscall(' + ptrace + ', 16, $ARGV[0], 0, 0); print $r == 0 ? "attached" : ($!+0)'));
  report('process_vm_readv', perl('my $r = syscall(' + vmRead + ', $ARGV[0], 0, 0, 0, 0, 0); print $r >= 0 ? "read" : ($!+0)'));
}`;
    await openAndStart(tab, 'map-trap', app(attempts));
    await eventually(() => /reach process_vm_readv: \S+/.test(logText(tab)), 'every attempt to be reported', 30_000);
    const outcome = (what: string) => new RegExp(`reach ${what}: (\\S+)`).exec(logText(tab))?.[1];
    expect(outcome('mem')).toMatch(/EACCES|EPERM/);
    expect(outcome('environ')).toMatch(/EACCES|EPERM/);
    // EPERM is errno 1.
    expect(outcome('ptrace')).toBe('1');
    expect(outcome('process_vm_readv')).toBe('1');
  });

  it('learner code can write only app/ and its sized /tmp and /dev/shm, never the sandbox’s unbounded root', { timeout: 90_000 }, async () => {
    const host = await startHost({ LAB_ROOT: labRoot() });
    const tab = tabOf(host.url);
    // 100 MB at each place, in 1 MB writes to files of 10 MB: each attempt prints `fill <place>: <MB written> <error code>`.
    // `lab-folder` is the lab folder, the parent of app/ (an instance's working directory is its own copy of app/).
    const fill = `import fs from 'node:fs';
${LAB_FOLDERS}
if (id === 'A') {
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  for (const name of ['/etc', '/', '/dev', '/usr', 'lab-folder', '/tmp', '/dev/shm']) {
    const place = name === 'lab-folder' ? labDir : name;
    let written = 0;
    let outcome = 'none';
    // Files of 10 MB, below the file size limit, so only the place's own size can stop them.
    try {
      for (let file = 0; written < 100; file++) {
        const fd = fs.openSync(place + '/fill-' + file + '.bin', 'w');
        try { for (let mb = 0; mb < 10 && written < 100; mb++, written++) fs.writeSync(fd, chunk); } finally { fs.closeSync(fd); }
      }
    } catch (error) { outcome = error.code; }
    for (let file = 0; file < 10; file++) try { fs.rmSync(place + '/fill-' + file + '.bin', { force: true }); } catch {}
    console.log('fill ' + name + ': ' + written + ' ' + outcome);
  }
}`;
    await openAndStart(tab, 'map-trap', app(fill));
    await eventually(() => /fill \/dev\/shm: \d+ \S+/.test(logText(tab)), 'every place to be tried', 60_000);
    const result = (place: string) => {
      const match = new RegExp(`fill ${place.replace(/[/.]/g, '\\$&')}: (\\d+) (\\S+)`).exec(logText(tab));
      return { mb: Number(match?.[1]), code: match?.[2] };
    };
    for (const place of ['/etc', '/', '/dev', '/usr', 'lab-folder']) expect(result(place), place).toMatchObject({ mb: 0, code: expect.stringMatching(/EROFS|EACCES/) });
    // The private /tmp (64 MB) and /dev/shm (16 MB) fill up and say so.
    expect(result('/tmp')).toMatchObject({ code: 'ENOSPC' });
    expect(result('/tmp').mb).toBeLessThanOrEqual(64);
    expect(result('/dev/shm')).toMatchObject({ code: 'ENOSPC' });
    expect(result('/dev/shm').mb).toBeLessThanOrEqual(16);
  });

  it('owner records that learner code replaced (a FIFO, a live pid) neither block nor fool the next start', { timeout: 120_000 }, async () => {
    const root = labRoot();
    const first = await startHost({ LAB_ROOT: root });
    // The owner record the host wrote into the lab folder, beside app/.
    const replace = (how: string) => `import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
${LAB_FOLDERS}
const owner = labPath.join(labDir, 'owner.json');
if (id === 'A') {
  try {
    fs.rmSync(owner, { force: true });
    ${how}
    console.log('owner: replaced');
  } catch (error) {
    console.log('owner: not replaced ' + error.code);
  }
}`;
    const fifoTab = tabOf(first.url);
    const fifoLab = await openAndStart(fifoTab, 'map-trap', app(replace(`execFileSync('/usr/bin/mkfifo', [owner]);`)));
    const pidTab = tabOf(first.url);
    const pidLab = await openAndStart(pidTab, 'map-trap', app(replace(`fs.writeFileSync(owner, '{"pid":1}');`)));
    await fifoTab.next(() => /owner: (replaced|not replaced)/.test(logText(fifoTab)), 30_000);
    await pidTab.next(() => /owner: (replaced|not replaced)/.test(logText(pidTab)), 30_000);

    first.child.kill('SIGKILL');
    await first.exited;
    await eventually(() => processesOfLab(fifoLab).length + processesOfLab(pidLab).length === 0, 'the crashed host’s labs to die', 20_000);

    const started = await Promise.race([
      startHost({ LAB_ROOT: root }).then(
        () => 'serving',
        (error: Error) => `failed: ${error.message.slice(0, 300)}`,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still not serving after 45 s'), 45_000)),
    ]);
    expect(started).toBe('serving');
    await settled(() => labFolders(root).length === 0, 20_000);
    const left = (labId: string) => (fs.existsSync(path.join(root, labId)) ? 'left behind' : 'removed');
    expect({ fifoLab: left(fifoLab), pidOneLab: left(pidLab) }).toEqual({ fifoLab: 'removed', pidOneLab: 'removed' });
  });

  it('refuses requests naming a host it does not serve (DNS rebinding), and serves loopback names and LAB_PUBLIC_NAME', { timeout: 90_000 }, async () => {
    const host = await startHost({ LAB_ROOT: labRoot() });
    const port = portOf(host.url);
    const foreign = `rebind.example:${port}`;
    const headers = { host: foreign, origin: `http://${foreign}` };
    const relay = await rawRequest(host.url, { path: '/redis-relay/session', method: 'POST', headers });
    const refused = {
      page: statusOf(await rawRequest(host.url, { path: '/', headers })),
      labSocket: statusOf(await rawRequest(host.url, { path: '/lab', upgrade: true, headers })),
      relaySession: statusOf(relay),
      adminLabs: statusOf(await rawRequest(host.url, { path: '/admin/labs', headers: { host: foreign } })),
    };
    if ('status' in relay && relay.status === 201) {
      const { token } = JSON.parse(relay.body) as { token: string };
      await rawRequest(host.url, { path: '/redis-relay/session', method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    }
    expect(refused).toEqual({ page: 421, labSocket: 421, relaySession: 421, adminLabs: 421 });

    // The machine's own names still work, for pages and labs.
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect(statusOf(await rawRequest(host.url, { path: '/', headers: { host: name } })), name).toBe(200);
    }
    const local = tabOf(host.url, { host: `localhost:${port}` }, `http://localhost:${port}`);
    expect(await openAndStart(local, 'map-trap', app(), { start: false })).toMatch(/^lab-/);
    local.ws.close();

    // The name the class uses, once the operator has declared it.
    const named = await startHost({ LAB_ROOT: labRoot(), LAB_PUBLIC_NAME: 'lab.school.example' });
    const publicName = `lab.school.example:${portOf(named.url)}`;
    expect(statusOf(await rawRequest(named.url, { path: '/', headers: { host: publicName } }))).toBe(200);
    const school = tabOf(named.url, { host: publicName }, `http://${publicName}`);
    expect(await openAndStart(school, 'map-trap', app(), { start: false })).toMatch(/^lab-/);
    school.ws.close();
  });

  it('learner code that rewrites its lab’s checks.js does not change its grade', { timeout: 180_000 }, async () => {
    const host = await startHost({ LAB_ROOT: labRoot() });
    const lesson = await loadLesson('map-trap');
    // The lab's checks.js, beside app/ in the lab folder.
    const forge = `import fs from 'node:fs';
${LAB_FOLDERS}
const checks = labPath.join(labDir, 'checks.js');
try {
  fs.rmSync(checks, { force: true });
  fs.writeFileSync(checks, "export default [{ name: 'A login is honoured by every instance', run() {} }, { name: 'Everything is fine', run() {} }];\\n");
  console.log('forge: replaced');
} catch (error) {
  console.log('forge: not replaced ' + error.code);
}
`;
    // The lesson's starter (which fails its checks), with the forgery loaded first by every instance.
    const files = [
      ...lesson.starter.map((file) => (file.path === 'server.js' ? { ...file, content: `import './forge.js';\n${file.content}` } : file)),
      { path: 'forge.js', content: forge },
    ];
    const tab = tabOf(host.url);
    await openAndStart(tab, 'map-trap', files);
    await tab.next(() => /forge: (replaced|not replaced)/.test(logText(tab)), 30_000);
    tab.send({ op: 'command', id: 2, command: { type: 'check' } });
    await tab.next((m) => (m.op === 'reply' && m.id === 2) || m.op === 'closed', 150_000);
    const report = tab.events('checks').at(-1) as { status?: string; tests?: { name: string; status: string }[] } | undefined;
    expect(report?.tests?.length ?? 0).toBeGreaterThan(0);
    expect({ status: report?.status, tests: report?.tests?.map((t) => t.name) }).toEqual({ status: 'fail', tests: expect.not.arrayContaining(['Everything is fine']) });
    expect(report?.tests?.some((t) => t.status !== 'pass')).toBe(true);
  });

  it('two hosts on one machine give their labs different users, and closing one lab leaves the other running', { timeout: 120_000 }, async () => {
    const first = await startHost({ LAB_ROOT: labRoot() });
    const second = await startHost({ LAB_ROOT: labRoot() });
    const reportUid = `console.log('uid ' + process.getuid());`;
    const tabs = [tabOf(first.url), tabOf(second.url)] as const;
    const [firstLab] = await Promise.all(tabs.map((tab) => openAndStart(tab, 'map-trap', app(reportUid))));
    const uids = await Promise.all(tabs.map((tab) => eventually(() => /uid (\d+)/.exec(logText(tab))?.[1], 'the lab to report its uid', 30_000)));

    tabs[0].ws.close();
    await eventually(() => first.logs().some((entry) => entry.msg === 'lab closed' && entry.lab === firstLab), 'the first host to close its lab', 30_000);
    const other = tabs[1];
    const seen = other.messages.length;
    other.send({ op: 'command', id: 7, command: { type: 'status' } });
    await other.next((m) => (m.op === 'reply' && m.id === 7) || m.op === 'closed', 30_000);
    const after = other.messages.slice(seen);
    const status = after.find((m) => m.op === 'event' && (m.event as Message).type === 'status')?.event as { instances?: { state: string }[] } | undefined;
    expect({
      uids: uids[0] === uids[1] ? `both ${uids[0]}` : 'different',
      otherLab: {
        closed: closedMessage(other)?.reason ?? null,
        reply: after.find((m) => m.op === 'reply' && m.id === 7)?.ok,
        instances: status?.instances?.map((i) => i.state),
      },
    }).toEqual({ uids: 'different', otherLab: { closed: null, reply: true, instances: ['up', 'up', 'up'] } });
  });

  it('a lab whose supervisor was stopped by its own code still closes when idle', { timeout: 120_000 }, async () => {
    const host = await startHost({ LAB_ROOT: labRoot(), LAB_IDLE_MINUTES: '0.05' });
    const tab = tabOf(host.url);
    const labId = await openAndStart(tab, 'map-trap', app(whenTriggered('stop.txt', `process.kill(process.ppid, 'SIGSTOP');`)));
    tab.send({ op: 'write', files: [{ path: 'stop.txt', content: '' }] });
    // The page stays active (it writes a file now and then) until the supervisor is stopped…
    const stopped = () => processesOfLab(labId).some((pid) => processState(pid) === 'T');
    for (let n = 0; !stopped(); n++) {
      if (closedMessage(tab)) throw new Error(`the lab closed before its supervisor stopped: ${String(closedMessage(tab)?.reason)}`);
      if (n % 10 === 0) tab.send({ op: 'write', files: [{ path: 'keep-alive.txt', content: String(n) }] });
      if (n > 600) throw new Error('the supervisor was never stopped');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // …then sends one command, which the stopped supervisor never answers, and nothing more.
    tab.send({ op: 'command', id: 9, command: { type: 'status' } });
    expect(closedMessage(tab)).toBeUndefined();
    await settled(() => closedMessage(tab) !== undefined, 90_000);
    const closed = closedMessage(tab);
    expect(closed ? `${String(closed.code)}: ${String(closed.reason)}` : 'still open after a minute').toMatch(/^idle: /);
  });
});
