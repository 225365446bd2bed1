// @ts-check
/**
 * The supervisor's only channel to whoever runs it: one JSON object per line on stdout.
 * Anything else a module prints would corrupt that stream, so console.log/info are sent to stderr.
 */

/** @typedef {Record<string, unknown> & { type: string }} LabEvent */

/** @type {(line: string) => void} */
let write = (line) => {
  process.stdout.write(line);
};

/** @param {LabEvent} event */
export function emit(event) {
  write(JSON.stringify({ ...event, t: Date.now() }) + '\n');
}

/** Test seam: capture events instead of writing them. @param {(line: string) => void} sink */
export function setEventSink(sink) {
  write = sink;
}

/** Keep stdout clean for events: stray console output goes to stderr. */
export function protectStdout() {
  const toStderr = (/** @type {unknown[]} */ ...args) => process.stderr.write(args.map(String).join(' ') + '\n');
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
