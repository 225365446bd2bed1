// @ts-check
/**
 * Preloaded into every process the supervisor starts (`node --import`). A worker thread watches the parent:
 * when the supervisor dies, even by SIGKILL, the child is re-parented and kills itself. It runs on its own
 * thread so an instance stuck in an infinite loop still goes away.
 *
 * In an app instance (LAB_INSTANCE_GUARD set) it also notes, as `[lab] …` lines on stderr that the supervisor
 * reads, two things the supervisor cannot see from outside:
 * - a server listening on a fixed port other than process.env.PORT (the balancer never sends requests there);
 * - start-up code that keeps the main thread busy (its event loop has not turned for a while), noticed from the
 *   worker thread through a heartbeat the main thread's timer keeps in shared memory.
 * Neither changes what the app does, and neither keeps the process alive. The variable is removed from the
 * environment, so processes the app starts itself (node:cluster workers load this file too) only get the watch.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const FLAG = 'LAB_INSTANCE_GUARD';
const setting = process.env[FLAG];
delete process.env[FLAG];

const watcher = `
  const fs = require('node:fs');
  const { workerData } = require('node:worker_threads');
  const { parent, self, beat, busyAfterMs } = workerData;
  let seen = beat ? Atomics.load(beat, 0) : 0;
  let changed = Date.now();
  let busySince = 0;
  const note = (text) => {
    try {
      fs.writeSync(2, '[lab] ' + text + '\\n');
    } catch {}
  };
  setInterval(() => {
    if (process.ppid !== parent) process.kill(self, 'SIGKILL');
    if (!beat || Atomics.load(beat, 1) === 1) return;
    const now = Date.now();
    const current = Atomics.load(beat, 0);
    if (current !== seen) {
      if (busySince) note('the event loop turns again, after ' + ((now - busySince) / 1000).toFixed(1) + ' s of start-up code without a break');
      seen = current;
      changed = now;
      busySince = 0;
    } else if (!busySince && now - changed >= busyAfterMs) {
      busySince = changed;
      note('busy: the main thread has run start-up code for ' + ((now - changed) / 1000).toFixed(1) + ' s without letting its event loop turn (a loop that never ends?)');
    }
  }, 100);
`;

/** @type {Int32Array | undefined} [0] counts main-thread timer ticks, [1] is 1 once the app listens on PORT */
let beat;
if (setting !== undefined) {
  beat = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(8)) : new Int32Array(2);
  const heartbeat = beat;
  watchListen(heartbeat, process.env.PORT ?? '');
  if (typeof SharedArrayBuffer === 'function') {
    const timer = setInterval(() => Atomics.add(heartbeat, 0, 1), 50);
    timer.unref();
  } else {
    beat = undefined;
  }
}

const busyAfterMs = Math.max(100, Number(/busy=(\d+)/.exec(setting ?? '')?.[1] ?? 1000));
/** @param {Int32Array | undefined} shared */
const watch = (shared) => new Worker(watcher, { eval: true, workerData: { parent: process.ppid, self: process.pid, beat: shared, busyAfterMs } });
let worker;
try {
  worker = watch(beat);
} catch {
  // A runtime that cannot share memory with a worker (some sandboxes) still gets the watch on the parent.
  worker = watch(undefined);
}
worker.unref();

/**
 * Note listens on a fixed port other than PORT, with the learner's line that asked for it. The original listen
 * does the work, whatever happens here.
 * @param {Int32Array} heartbeat
 * @param {string} expected
 */
function watchListen(heartbeat, expected) {
  const listen = net.Server.prototype.listen;
  /** @this {net.Server} @param {any[]} args */
  function watchedListen(...args) {
    try {
      const port = requestedPort(args[0]);
      if (port !== undefined && String(port) === expected) {
        Atomics.store(heartbeat, 1, 1);
        // Tells the supervisor that this process, not another that took the port, is the one listening.
        this.once('listening', () => {
          try {
            fs.writeSync(2, '[lab] listening on process.env.PORT\n');
          } catch {}
        });
      }
      else if (port !== undefined && port !== 0) {
        const where = learnerFrame();
        const text = `[lab] ${where ? `${where} ` : ''}listens on port ${port}, not on process.env.PORT (${expected})\n`;
        fs.writeSync(2, text);
      }
    } catch {
      // only a note; the listen itself goes ahead
    }
    return listen.apply(this, /** @type {any} */ (args));
  }
  net.Server.prototype.listen = /** @type {any} */ (watchedListen);
}

/** The numeric port a listen() call asks for, if it asks for one. @param {unknown} first @returns {number | undefined} */
function requestedPort(first) {
  /** @param {unknown} value */
  const asPort = (value) =>
    typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
  if (first !== null && typeof first === 'object') {
    const options = /** @type {Record<string, unknown>} */ (first);
    if ('path' in options || 'fd' in options || '_handle' in options || 'handle' in options) return undefined;
    return asPort(options.port);
  }
  return asPort(first);
}

/** The first stack frame in the instance's own folder, relative to it ("server.js:12:5"). */
function learnerFrame() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const cwd = process.cwd();
  for (const line of stack.split('\n').slice(1)) {
    const match = /(?:file:\/\/)?(\/[^\s()]*):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match?.[1]) continue;
    let file = match[1];
    try {
      file = decodeURIComponent(file);
    } catch {
      // keep it as it is
    }
    const relative = path.relative(cwd, file);
    if (relative.startsWith('..') || path.isAbsolute(relative) || relative.split(path.sep).includes('node_modules')) continue;
    return `${relative}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
