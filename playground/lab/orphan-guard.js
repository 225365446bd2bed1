// @ts-check
/**
 * Preloaded into every process the supervisor starts (`node --import`). A worker thread watches the parent:
 * when the supervisor dies, even by SIGKILL, the child is re-parented and kills itself. It runs on its own
 * thread so an instance stuck in an infinite loop still goes away.
 */
import { Worker } from 'node:worker_threads';

const watcher = `
  const { workerData } = require('node:worker_threads');
  setInterval(() => {
    if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL');
  }, 500);
`;

const worker = new Worker(watcher, { eval: true, workerData: { parent: process.ppid, self: process.pid } });
worker.unref();
