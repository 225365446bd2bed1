import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadLesson } from '../../playground/course/lessons.ts';
import type { LabEvent, LabEventOf } from '../../playground/protocol/lab-events.ts';
import { startCommand } from '../../playground/protocol/start-command.ts';
import { app, eventOf, eventually, startLab, type TestLab } from './helpers.ts';

/** The status the supervisor reports now. */
async function status({ lab, events }: TestLab): Promise<LabEventOf<'status'>> {
  const before = events.length;
  await lab.send({ type: 'status' });
  const found = events.slice(before).find(eventOf('status'));
  if (!found) throw new Error('no status event came');
  return found;
}

/** Run the checks; the events from the check command to its reply, and where the report is among them. */
async function check({ lab, events }: TestLab): Promise<{ during: LabEvent[]; report: LabEventOf<'checks'>; reportAt: number }> {
  const before = events.length;
  await lab.send({ type: 'check' });
  const during = events.slice(before);
  const reportAt = during.findIndex(eventOf('checks'));
  const report = during[reportAt];
  if (!report || report.type !== 'checks') throw new Error('the check run ended without a report');
  return { during, report, reportAt };
}

describe("a check leaves the learner's world as it found it", () => {
  it('gives back 4 instances, the strategy and steady traffic the learner had, after the report', { timeout: 120_000 }, async () => {
    const lesson = await loadLesson('map-trap');
    const lab = await startLab(lesson.solution, { checksSource: await fs.readFile(lesson.checksFile, 'utf8'), start: startCommand(lesson.meta.lab) });
    await lab.lab.send({ type: 'scale', instances: 4 });
    await lab.lab.send({ type: 'strategy', strategy: 'least-connections' });
    await lab.lab.send({ type: 'traffic', on: true, rps: 5 });
    await lab.lab.send({ type: 'user', user: 'dave', action: 'login' });

    const { during, report, reportAt } = await check(lab);
    // Graded from the lesson's own shape, as before: the solution passes.
    expect(report.status).toBe('pass');
    const afterReport = during.slice(reportAt + 1);
    expect(afterReport.some(eventOf('process', (e) => e.role === 'instance' && e.name === 'D' && e.state === 'up'))).toBe(true);
    expect(afterReport.some(eventOf('process', (e) => e.role === 'balancer' && e.strategy === 'least-connections'))).toBe(true);
    expect(afterReport.some(eventOf('traffic', (e) => e.on))).toBe(true);
    // During the checks the lab said what ran: no steady traffic, the lesson's strategy.
    const beforeReport = during.slice(0, reportAt);
    expect(beforeReport.some(eventOf('traffic', (e) => !e.on))).toBe(true);
    expect(beforeReport.some(eventOf('process', (e) => e.role === 'balancer' && e.strategy === 'round-robin'))).toBe(true);

    const now = await status(lab);
    expect(now.instances.map((i) => [i.name, i.state])).toEqual([['A', 'up'], ['B', 'up'], ['C', 'up'], ['D', 'up']]);
    expect(now.balancer.strategy).toBe('least-connections');
    // The check emptied Redis, so Dave's session is gone, and so is his cookie: he is simply not logged in, which
    // is no unexpected logout of the learner's code.
    await lab.lab.send({ type: 'user', user: 'dave', action: 'visit' });
    expect(lab.events.filter(eventOf('user', (e) => e.user === 'dave')).at(-1)).toMatchObject({ action: 'visit', status: 401, loggedOut: false });
    // The learner's traffic runs again, as the learner's (no check's name on it).
    const replyAt = lab.events.length;
    await eventually(() => lab.events.slice(replyAt).filter(eventOf('user', (e) => e.check === undefined && e.status === 200)).length >= 3, 'steady traffic after the check', 10_000);
  });

  it('stops the cluster again when it was stopped before the check', async () => {
    const checks = `export default [{ name: 'answers', async run(lab) { const r = await lab.request('GET', '/'); lab.assert(r.status === 200, 'Expected 200; observed ' + r.status); } }];\n`;
    const lab = await startLab(app(), { checksSource: checks });
    await lab.lab.send({ type: 'stop' });
    expect((await status(lab)).instances).toEqual([]);

    const { during, report, reportAt } = await check(lab);
    // The check ran on a started cluster…
    expect(report.status).toBe('pass');
    expect(during.slice(0, reportAt).some(eventOf('process', (e) => e.role === 'instance' && e.state === 'up'))).toBe(true);
    // …and the learner's stays stopped.
    expect((await status(lab)).instances).toEqual([]);
  });

  it('keeps an instance the learner stopped down, and starts one that the last check killed', async () => {
    const checks = `export default [{ name: 'kills B', async run(lab) { await lab.kill('B'); } }];\n`;
    const lab = await startLab(app(), { checksSource: checks });
    await lab.lab.send({ type: 'instance', action: 'stop', name: 'C' });
    const { report } = await check(lab);
    expect(report.status).toBe('pass');
    const now = await status(lab);
    expect(now.instances.map((i) => [i.name, i.state])).toEqual([['A', 'up'], ['B', 'up'], ['C', 'stopped']]);
  });
});
