import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { app, get, startLab, type ProcessOf } from './helpers.ts';

describe('rolling deploy', () => {
  it('replaces every instance under steady traffic without a failed request', async () => {
    const { lab, events } = await startLab(app());
    const pidsBefore = new Map(events.filter((e): e is ProcessOf<'instance'> => e.type === 'process' && e.state === 'up' && e.role === 'instance').map((e) => [e.name, e.pid]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let running = true;
    const failures: string[] = [];
    let total = 0;
    const client = async () => {
      while (running) {
        const status = await new Promise<number>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port: lab.balancerPort, path: '/', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', (e) => { failures.push(e.message); resolve(0); });
        });
        total++;
        if (status !== 200) failures.push(`status ${status}`);
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await lab.send({ type: 'deploy' });
    running = false;
    await Promise.all(clients);
    agent.destroy();
    expect(total).toBeGreaterThan(50);
    expect(failures).toEqual([]);
    const phases = events.filter((e) => e.type === 'deploy').map((e) => `${String(e.phase)}${e.instance ? ` ${String(e.instance)}` : ''}`);
    expect(phases).toEqual(['start', 'instance A', 'instance B', 'instance C', 'done']);
    const pidsAfter = new Map(events.filter((e): e is ProcessOf<'instance'> => e.type === 'process' && e.state === 'up' && e.role === 'instance').map((e) => [e.name, e.pid]));
    for (const name of ['A', 'B', 'C']) expect(pidsAfter.get(name)).not.toBe(pidsBefore.get(name));
  });

  it('keeps the old version serving when the new code does not start', async () => {
    const { lab, events } = await startLab(app());
    await fs.writeFile(path.join(lab.dir, 'app', 'server.js'), 'throw new Error("bad release")\n');
    await expect(lab.send({ type: 'deploy' })).rejects.toThrow(/new code for instance A did not come up.*bad release.*old version keeps serving/);
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(lab.balancerPort)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(events.some((e) => e.type === 'deploy' && e.phase === 'failed')).toBe(true);
  });
});
