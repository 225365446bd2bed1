import { describe, expect, it } from 'vitest';
import { LabProcess } from '../../playground/server/lab-process.ts';
import { app, eventually, processesOfLab } from './helpers.ts';

describe.each(['redis-server', 'js'])('no orphans (%s)', (redis) => {
  it('SIGKILL of the supervisor leaves no process of that lab behind', async () => {
    // Instance C is stuck in an endless loop: it cannot notice anything by itself.
    const lab = await LabProcess.create({ files: app(`if (id === 'C') setTimeout(() => { for (;;) {} }, 200);`), redis });
    try {
      await lab.send({ type: 'start', instances: 3 });
      await new Promise((r) => setTimeout(r, 400));
      const before = processesOfLab(lab.id);
      // supervisor + 3 instances + Redis (keeper and redis-server, or the JS server)
      expect(before.length).toBeGreaterThanOrEqual(5);
      process.kill(lab.pid!, 'SIGKILL');
      await eventually(() => processesOfLab(lab.id).length === 0, `lab ${lab.id} processes to exit (left: ${processesOfLab(lab.id).join(', ')})`, 5000);
    } finally {
      await lab.destroy();
    }
  });

  it('closing stdin shuts the whole lab down', async () => {
    const lab = await LabProcess.create({ files: app(), redis });
    try {
      await lab.send({ type: 'start', instances: 2 });
      expect(processesOfLab(lab.id).length).toBeGreaterThanOrEqual(4);
      const exited = new Promise((resolve) => lab.once('exit', resolve));
      lab.sendRaw('');
      (lab as unknown as { child: { stdin: NodeJS.WritableStream } }).child.stdin.end();
      await exited;
      await eventually(() => processesOfLab(lab.id).length === 0, 'every lab process to exit', 5000);
    } finally {
      await lab.destroy();
    }
  });
});
