/** Worker-thread entry for runLoadInWorker: runs one load with the options it was given and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadOptions } from './load.ts';

const result = await runLoad(workerData as LoadOptions);
parentPort?.postMessage(result);
