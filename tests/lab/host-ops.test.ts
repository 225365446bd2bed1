import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLesson } from '../../playground/course/lessons.ts';
import { eventually, processesOfLab, slotLocksOf } from './helpers.ts';
import { connect, openAndStart } from './host-support.ts';
import { refusedHost, runHost } from './host-process.ts';

const port = (url: string) => Number(new URL(url).port);

describe('lab host operations and access', () => {
  it('reports health, lists active labs with their use, and logs JSON lines', { timeout: 60_000 }, async () => {
    const host = await runHost({ LAB_ADMIN_TOKEN: 'admin-token-for-tests' });
    await eventually(() => /Labs: /.test(host.output()), 'the isolation line');
    expect(host.output()).toMatch(/Labs: isolated labs: bubblewrap namespaces/);
    const health = (await (await fetch(`${host.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, isolation: 'namespaces', labs: 0, maxLabs: 20 });

    const lesson = await loadLesson('map-trap');
    const tab = connect(port(host.url), host.url);
    const labId = await openAndStart(tab, 'map-trap', lesson.starter);
    const listing = (await (await fetch(`${host.url}/admin/labs`)).json()) as { labs: Record<string, number | string>[] };
    expect(listing.labs).toHaveLength(1);
    expect(listing.labs[0]).toMatchObject({ id: labId, lesson: 'map-trap' });
    expect(Number(listing.labs[0]!.processes)).toBeGreaterThanOrEqual(4);
    expect(Number(listing.labs[0]!.memoryMb)).toBeGreaterThan(50);

    // Through a proxy (X-Forwarded-For) the caller is not local: it needs the admin token.
    const proxied = await fetch(`${host.url}/admin/labs`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(403);
    const withToken = await fetch(`${host.url}/admin/labs`, { headers: { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer admin-token-for-tests' } });
    expect(withToken.status).toBe(200);

    // npm start also offers hosted Redis to in-browser labs, to its own pages only.
    const relay = await fetch(`${host.url}/redis-relay/session`, { method: 'POST', headers: { origin: host.url } });
    expect(relay.status).toBe(201);
    const session = (await relay.json()) as { token: string };
    expect(session.token).toMatch(/^\S{20,}$/);
    expect((await fetch(`${host.url}/redis-relay/session`, { method: 'POST', headers: { origin: 'http://evil.example' } })).status).toBe(403);
    await fetch(`${host.url}/redis-relay/session`, { method: 'DELETE', headers: { authorization: `Bearer ${session.token}` } });

    tab.ws.close();
    await eventually(() => host.logs().some((entry) => entry.msg === 'lab closed' && entry.lab === labId), 'the close to be logged', 10_000);
    const opened = host.logs().find((entry) => entry.msg === 'lab opened');
    expect(opened).toMatchObject({ level: 'info', lab: labId, lesson: 'map-trap', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(processesOfLab(labId)).toEqual([]);
  });

  it('refuses to serve a network address without a join token, and checks the token on every lab socket', { timeout: 60_000 }, async () => {
    const refused = await refusedHost({ HOST: '0.0.0.0' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/needs a join token: set LAB_JOIN_TOKEN/);
    expect((await refusedHost({ LAB_MAX_PROCESSES: 'many' })).output).toMatch(/LAB_MAX_PROCESSES must be a positive number/);

    const token = 'class-of-2026-join-token';
    const host = await runHost({ HOST: '0.0.0.0', LAB_JOIN_TOKEN: token });
    await eventually(() => /Learners join with/.test(host.output()), 'the join line');
    expect(host.output()).toMatch(new RegExp(`Learners join with: http://[^\\s]+/\\?join=${token}`));
    const local = `http://127.0.0.1:${port(host.url)}`;

    await expect(connect(port(host.url), local).opened).rejects.toThrow(/401/);
    const info = (await (await fetch(`${local}/lab`)).json()) as { joined: boolean };
    expect(info.joined).toBe(false);

    const wrong = await fetch(`${local}/lessons/?join=not-the-token`, { redirect: 'manual' });
    expect(wrong.status).toBe(403);
    const right = await fetch(`${local}/lessons/?join=${token}`, { redirect: 'manual' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/lessons/');
    const cookie = right.headers.get('set-cookie')!.split(';')[0]!;
    expect(right.headers.get('set-cookie')).toMatch(/HttpOnly/);

    const joined = connect(port(host.url), local, { cookie });
    await joined.opened;
    const joinedInfo = (await (await fetch(`${local}/lab`, { headers: { cookie } })).json()) as { joined: boolean };
    expect(joinedInfo.joined).toBe(true);
    // The right cookie from the wrong page is still refused.
    await expect(connect(port(host.url), 'http://evil.example', { cookie }).opened).rejects.toThrow(/403/);
    joined.ws.close();
  });

  it('on SIGTERM tells every tab, removes every lab and exits cleanly', { timeout: 60_000 }, async () => {
    const host = await runHost();
    const lesson = await loadLesson('map-trap');
    const tabs = [connect(port(host.url), host.url), connect(port(host.url), host.url)];
    const labIds = await Promise.all(tabs.map((tab) => openAndStart(tab, 'map-trap', lesson.starter)));
    for (const id of labIds) expect(processesOfLab(id).length).toBeGreaterThan(0);
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
    for (const tab of tabs) expect(tab.messages.find((m) => m.op === 'closed')).toMatchObject({ code: 'host-shutdown' });
    for (const id of labIds) expect(processesOfLab(id)).toEqual([]);
    expect(host.logs().map((entry) => entry.msg)).toEqual(expect.arrayContaining(['host stopping', 'host stopped']));
  });

  it('after a crash, leaves nothing running and the next start clears what is left', { timeout: 60_000 }, async () => {
    const labRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-root-'));
    const first = await runHost({ LAB_ROOT: labRoot });
    const lesson = await loadLesson('map-trap');
    const tab = connect(port(first.url), first.url);
    const labId = await openAndStart(tab, 'map-trap', lesson.starter);
    expect(fs.existsSync(path.join(labRoot, labId))).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    // The sandbox dies with its parent: nothing of the lab survives the host.
    await eventually(() => processesOfLab(labId).length === 0, 'the crashed host’s lab processes to die', 10_000);
    const deadPid = first.child.pid!;
    expect(slotLocksOf(labRoot, deadPid)).not.toEqual([]);

    const second = await runHost({ LAB_ROOT: labRoot });
    const cleared = second.logs().find((entry) => entry.msg === 'cleared labs left by a host that stopped abruptly');
    // Slots are machine-wide, so other dead hosts' slots may be cleared in the same pass.
    expect(cleared).toMatchObject({ dirs: 1 });
    expect(Number(cleared?.slots)).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(labRoot, labId))).toBe(false);
    expect(slotLocksOf(labRoot, deadPid)).toEqual([]);
    second.child.kill('SIGTERM');
    await second.exited;
    fs.rmSync(labRoot, { recursive: true, force: true });
  });
});
