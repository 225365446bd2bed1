// @ts-check
/**
 * The supervisor's only channel to whoever runs it: one JSON object per line on stdout.
 * Anything else a module prints would corrupt that stream, so console.log/info are sent to stderr.
 *
 * Writes to a pipe are synchronous on Linux, so one write per proxied request would cost a system call on the
 * balancer's hot path. High-rate events (`request`) are therefore batched for up to 20 ms; any other event
 * flushes the batch first, so the order of events is kept.
 */

/** @typedef {import('../protocol/lab-events.ts').LabEventInput} LabEventInput */

const BATCHED = new Set(['request']);
const FLUSH_MS = 20;
const MAX_BATCH = 256;

/** @param {string} text */
const write = (text) => {
  process.stdout.write(text);
};
/** @type {string[]} */
let batch = [];
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;

function flush() {
  if (timer) clearTimeout(timer);
  timer = undefined;
  if (batch.length === 0) return;
  const text = batch.join('');
  batch = [];
  write(text);
}

/** @param {LabEventInput} event */
export function emit(event) {
  const line = JSON.stringify({ ...event, t: Date.now() }) + '\n';
  if (!BATCHED.has(event.type)) {
    flush();
    write(line);
    return;
  }
  batch.push(line);
  if (batch.length >= MAX_BATCH) flush();
  else timer ??= setTimeout(flush, FLUSH_MS);
}

/**
 * The hot path: one event per proxied request. Builds the line directly rather than spreading and stringifying
 * an object, which is most of the cost at thousands of requests per second.
 * @param {{ user: string | undefined, check?: string | undefined, method: string, path: string, instance: string | null, status: number, ms: number }} r
 */
export function emitRequest(r) {
  const user = r.user === undefined ? '' : `"user":${JSON.stringify(r.user)},`;
  const check = r.check === undefined ? '' : `"check":${JSON.stringify(r.check)},`;
  const instance = r.instance === null ? 'null' : JSON.stringify(r.instance);
  batch.push(`{"type":"request",${user}${check}"method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)},"instance":${instance},"status":${r.status},"ms":${r.ms},"t":${Date.now()}}\n`);
  if (batch.length >= MAX_BATCH) flush();
  else timer ??= setTimeout(flush, FLUSH_MS);
}

/** Write out anything batched now (before the process exits). */
export function flushEvents() {
  flush();
}

/** Keep stdout clean for events: stray console output goes to stderr. */
export function protectStdout() {
  const toStderr = (/** @type {unknown[]} */ ...args) => process.stderr.write(args.map(String).join(' ') + '\n');
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
