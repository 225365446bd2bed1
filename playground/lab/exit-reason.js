// @ts-check
/**
 * Why an instance is not serving, in words that name the real cause: the learner's own file and line first,
 * then what went wrong, then what the supervisor saw happen. Built from the process's last output lines and the
 * notes the orphan guard writes (see orphan-guard.js).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MAX_MESSAGE = 320;
const MAX_REASON = 600;
/** The first line of an error as Node prints it: "TypeError: …", "Error [ERR_MODULE_NOT_FOUND]: …". */
const HEADER = /^(?:Uncaught )?(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[\w-]+\])?(?::\s|$)/;
const FRAME = /^\s+at\s/;
/** A location in a stack frame or Node's source context line: a path or file URL, line and optional column. */
const LOCATION = /(?:file:\/\/)?(\/[^\s()]*?):(\d+)(?::(\d+))?\)?\s*$/;
const CJS_IN_ESM = /^ReferenceError: (require|module|exports|__dirname|__filename) is not defined in ES module scope/;

/**
 * @typedef {object} GuardNotes  what the orphan guard reported about one process
 * @property {{ port: number, where?: string } | undefined} fixedPort  a listen on a fixed port other than PORT
 * @property {boolean} busy  the main thread has not let its event loop turn for a while (and still has not)
 * @property {boolean} listening  a server of this process listens on process.env.PORT
 */

/** @returns {GuardNotes} */
export function noNotes() {
  return { fixedPort: undefined, busy: false, listening: false };
}

/**
 * What the guard writes once a server of the process itself listens on process.env.PORT: the proof that what
 * accepts connections on the port is this instance, not another process that took the port first. Not shown.
 */
export const LISTENING_NOTE = '[lab] listening on process.env.PORT';

/**
 * Take in one output line if it is a note from the guard. Returns whether it was one.
 * @param {GuardNotes} notes
 * @param {string} line
 */
export function readNote(notes, line) {
  // At the end of a line too: the app may have left a line of its own unfinished on stderr just before.
  if (line.endsWith(LISTENING_NOTE)) {
    notes.listening = true;
    return true;
  }
  if (!line.startsWith('[lab] ')) return false;
  const fixed = /^\[lab\] (?:(\S+:\d+:\d+) )?listens on port (\d+), not on process\.env\.PORT/.exec(line);
  if (fixed) {
    notes.fixedPort ??= { port: Number(fixed[2]), where: fixed[1] };
    return true;
  }
  if (/^\[lab\] busy: /.test(line)) {
    notes.busy = true;
    return true;
  }
  if (/^\[lab\] the event loop turns again/.test(line)) {
    notes.busy = false;
    return true;
  }
  return false;
}

/**
 * A function that shows the learner's paths in a line the instance wrote, instead of its copy's (its own disk).
 * Only paths inside the copy are rewritten (a "/" follows), so a bare process.cwd() stays as it is.
 * @param {string[]} copies  the copy's folder, as created and as the real path the process sees
 * @param {string} appDir
 * @returns {(line: string) => string}
 */
export function learnerPaths(copies, appDir) {
  const pairs = /** @type {[string, string][]} */ ([]);
  for (const copy of new Set(copies)) {
    pairs.push([pathToFileURL(copy).href + '/', pathToFileURL(appDir).href + '/'], [copy + path.sep, appDir + path.sep]);
  }
  return (line) => {
    let text = line;
    for (const [from, to] of pairs) if (text.includes(from)) text = text.split(from).join(to);
    return text;
  };
}

/**
 * Paths inside the app folder shown relative to it, as the learner's editor names the files.
 * @param {string} text
 * @param {string[]} appDirs
 */
function relativeToApp(text, appDirs) {
  let out = text;
  for (const dir of new Set(appDirs)) {
    for (const prefix of [pathToFileURL(dir).href + '/', dir + path.sep]) if (out.includes(prefix)) out = out.split(prefix).join('');
  }
  return out;
}

/**
 * The learner's file for a location, relative to the app folder; undefined when it is not one of their files.
 * @param {string} file @param {string[]} appDirs
 */
function learnerFile(file, appDirs) {
  let decoded = file;
  try {
    decoded = decodeURIComponent(file);
  } catch {
    // keep it
  }
  for (const dir of new Set(appDirs)) {
    const relative = path.relative(dir, decoded);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue;
    const parts = relative.split(path.sep);
    if (parts.includes('node_modules') || parts[0] === '.instances') continue;
    return parts.join('/');
  }
  return undefined;
}

/**
 * Cut a text to at most `max` characters at a word boundary, with an ellipsis; never in the middle of a word.
 * @param {string} text
 * @param {number} max
 */
export function shorten(text, max) {
  const one = text.replace(/\s+/g, ' ').trim();
  if (one.length <= max) return one;
  const cut = one.slice(0, max - 2);
  const space = one[max - 2] === ' ' ? cut.length : cut.lastIndexOf(' ');
  const head = (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.—–-]+$/, '');
  return `${head} …`;
}

/**
 * @typedef {object} Clue
 * @property {string | undefined} where    "server.js:12:5" (a stack frame) or "server.js:12" (Node's context line)
 * @property {string | undefined} message  the error line, paths relative to the app folder
 * @property {string | undefined} source   the offending source line of a syntax error
 * @property {string | undefined} header   the error line as printed
 */

/**
 * Find the error a process died of in its last output lines, and the learner's line it points to.
 * @param {string[]} lines  last output lines, paths already the learner's (see learnerPaths)
 * @param {string[]} appDirs  the app folder, as given and as its real path
 * @returns {Clue}
 */
export function findClue(lines, appDirs) {
  const output = lines.filter((l) => !l.startsWith('[lab] '));
  const headers = output.map((l, i) => (HEADER.test(l) ? i : -1)).filter((i) => i >= 0);
  /** @param {number} i */
  const framesAfter = (i) => {
    const frames = [];
    for (let j = i + 1; j < output.length; j++) {
      if (HEADER.test(/** @type {string} */ (output[j]))) break;
      if (FRAME.test(/** @type {string} */ (output[j]))) frames.push(/** @type {string} */ (output[j]));
    }
    return frames;
  };
  const withFrames = headers.filter((i) => framesAfter(i).length > 0);
  const index = withFrames.at(-1) ?? headers.at(-1);
  if (index === undefined) return otherClue(output, appDirs);
  const header = /** @type {string} */ (output[index]);
  let where;
  for (const frame of framesAfter(index)) {
    const match = LOCATION.exec(frame);
    const file = match?.[1] && learnerFile(match[1], appDirs);
    if (file && match?.[3]) {
      where = `${file}:${match[2]}:${match[3]}`;
      break;
    }
  }
  // Node's source context, printed above the error: "file:///…/server.js:3", the line itself, a caret.
  let source;
  for (let j = index - 1; j >= Math.max(0, index - 6); j--) {
    const match = /^(?:file:\/\/)?(\/.*):(\d+)$/.exec(/** @type {string} */ (output[j]));
    if (!match?.[1]) continue;
    const file = learnerFile(match[1], appDirs);
    if (file) {
      where ??= `${file}:${match[2]}`;
      source = output[j + 1]?.trim() || undefined;
    }
    break;
  }
  return { where, message: relativeToApp(header.trim(), appDirs), source, header };
}

/**
 * What a process died of when Node printed no error line: a rejected promise or a thrown value that is not an
 * Error, a top-level await that never settled, or whatever it said last.
 * @param {string[]} output @param {string[]} appDirs @returns {Clue}
 */
function otherClue(output, appDirs) {
  /** @param {string | undefined} message @param {string} [where] @returns {Clue} */
  const clue = (message, where) => ({ where, message: message === undefined ? undefined : relativeToApp(message, appDirs), source: undefined, header: message });
  const rejected = output.map((l) => /The promise rejected with the reason "(.*)"\.\s*$/.exec(l)).find(Boolean);
  if (rejected) return clue(`a promise was rejected with "${rejected[1]}" and nothing handled it (no .catch(), no try around its await)`);
  const unsettled = output.map((l) => /^Warning: Detected unsettled top-level await at (?:file:\/\/)?(\/.*):(\d+)\s*$/.exec(l)).find(Boolean);
  if (unsettled?.[1]) {
    const file = learnerFile(unsettled[1], appDirs);
    return clue('a top-level await never settled (its promise neither resolved nor rejected), so start-up never finished', file ? `${file}:${unsettled[2]}` : undefined);
  }
  const meaningful = output.filter((l) => l.trim() !== '' && !/^Node\.js v\d/.test(l) && !/^\(Use `node --trace/.test(l) && !/^\s*\^+\s*$/.test(l));
  // `throw 'text'`: Node prints the value after its context lines (the source line and a caret).
  let caret = output.length - 1;
  while (caret >= 0 && !/^\s*\^+\s*$/.test(/** @type {string} */ (output[caret]))) caret--;
  if (caret >= 0) {
    const thrown = output.slice(caret + 1).find((l) => meaningful.includes(l));
    if (thrown !== undefined) return clue(`threw ${thrown.trim()}, which is not an Error, so Node knows no line to show`);
  }
  const line = meaningful.find((l) => /Error|EADDRINUSE|Cannot find|Unexpected/.test(l)) ?? meaningful.at(-1);
  return clue(line?.trim());
}

/**
 * @typedef {object} ExitFacts
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 * @property {string[]} lines        last output lines (learner paths)
 * @property {string[]} appDirs
 * @property {boolean} starting      it died before it was up
 * @property {number} port           its process.env.PORT
 * @property {GuardNotes} notes
 * @property {number} balancerPort   0 when unknown
 */

/** Why a process exited on its own. @param {ExitFacts} facts */
export function describeCrash(facts) {
  const { code, signal, starting } = facts;
  const how = (signal ? `killed by ${signal}` : `exited with code ${code}`) + (starting ? ' while starting' : '');
  const clue = findClue(facts.lines, facts.appDirs);
  const fixed = facts.notes.fixedPort;
  const inUse = /EADDRINUSE\b.*?:(\d+)\s*$/.exec(clue.header ?? '');
  // Word for word what an instance that got the port and timed out says: the cause is the same.
  if (fixed && ((inUse && Number(inUse[1]) === fixed.port) || (starting && !clue.message))) {
    return describeFixedPort(fixed, facts.port, facts.balancerPort);
  }
  if (!clue.message) return how;
  let message = clue.message;
  const esm = CJS_IN_ESM.exec(message);
  if (esm?.[1]) message = commonJsHint(esm[1], clue.where);
  else if (/\bENOSPC\b/.test(message)) message = `${shorten(message, MAX_MESSAGE / 2)}: the lab's disk is full. Each instance writes to its own copy of the app folder, which shares the lab's disk; too much data, or too many files, fills it`;
  else message = shorten(message, MAX_MESSAGE);
  if (clue.source && /^SyntaxError\b/.test(message)) message += ` in \`${shorten(clue.source, 120)}\``;
  return shorten(`${clue.where ? `${clue.where}: ` : ''}${message} (${how})`, MAX_REASON);
}

/**
 * @param {string} name  require, module, exports, __dirname or __filename
 * @param {string | undefined} where
 */
function commonJsHint(name, where) {
  const file = where?.replace(/:\d+(?::\d+)?$/, '') ?? 'this file';
  const cjs = /\.js$/.test(file) ? file.replace(/\.js$/, '.cjs') : 'a .cjs file';
  const fix =
    name === '__dirname' || name === '__filename'
      ? `use import.meta.${name.slice(2)} instead`
      : name === 'require'
        ? "load packages with import … from '…' instead of require(…), and export instead of module.exports"
        : 'use export (export default, export function …) instead of module.exports / exports';
  return `${name} is not defined: this lab's package.json has "type": "module", so ${file} is an ES module — ${fix}, or name the file ${cjs}`;
}

/**
 * The same sentence for every instance of an app that listens on a fixed port, whether it got the port (and then
 * timed out: nothing came on PORT) or found it taken.
 * @param {{ port: number, where?: string }} fixed
 * @param {number} port
 * @param {number} balancerPort
 */
export function describeFixedPort(fixed, port, balancerPort) {
  const own = balancerPort > 0 && balancerPort === fixed.port ? ` — port ${fixed.port} is the balancer's own` : '';
  return `${fixed.where ? `${fixed.where}: ` : ''}listens on port ${fixed.port}, but the balancer sends this instance's requests to process.env.PORT (${port})${own}. Listen on process.env.PORT instead.`;
}

/**
 * Why a process did not listen on PORT in time.
 * @param {{ seconds: number, port: number, notes: GuardNotes, balancerPort: number }} facts
 */
export function describeTimeout({ seconds, port, notes, balancerPort }) {
  if (notes.fixedPort) return describeFixedPort(notes.fixedPort, port, balancerPort);
  if (notes.busy) {
    return `still busy after ${seconds} s: its start-up code never finished (a loop that never ends?), so it never listened on process.env.PORT (${port})`;
  }
  return `did not listen on process.env.PORT (${port}) within ${seconds} s — does it call listen(process.env.PORT), or does its start-up wait for something that never comes (a connection, a promise)?`;
}
