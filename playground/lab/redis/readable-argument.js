// @ts-check
/**
 * One argument of a Redis command as a person can read it in the cluster view: short printable text as it is,
 * anything else (binary such as the socket.io adapter's msgpack, or long values) as its size and the printable text
 * inside it.
 */

/** Arguments longer than this (in characters) are summarised; a session key with a UUID (44) is shown whole. */
export const MAX_PLAIN_CHARS = 64;
/** The excerpt of a summarised argument is about this many characters. */
export const MAX_EXCERPT_CHARS = 32;
/** Printable stretches shorter than this are noise in binary (a length byte that happens to be a letter). */
const MIN_RUN_CHARS = 3;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
/** Control characters other than tab and newline, and the replacement character an invalid byte decodes to. */
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/u;
const PRINTABLE_RUNS = /[^\u0000-\u001f\u007f-\u009f\ufffd]+/gu;

/**
 * @param {Uint8Array} bytes  the argument, or its first bytes when it was longer (see `size`)
 * @param {number} [size]     its whole length in bytes, when `bytes` holds only the start of it
 * @returns {string}
 */
export function readableArgument(bytes, size = bytes.length) {
  const text = plainText(bytes, size);
  if (text !== undefined) return text;
  const excerpt = printableExcerpt(lenientUtf8.decode(bytes));
  return excerpt ? `‹${size} bytes: "${excerpt}"›` : `‹${size} bytes›`;
}

/** The argument as text when it is short, printable, valid UTF-8 and complete. @param {Uint8Array} bytes @param {number} size */
function plainText(bytes, size) {
  const text = size <= bytes.length ? decodeStrictly(bytes) : undefined;
  return text !== undefined && !UNPRINTABLE.test(text) && [...text].length <= MAX_PLAIN_CHARS ? text : undefined;
}

/** @param {Uint8Array} bytes @returns {string | undefined} undefined when the bytes are not valid UTF-8 */
function decodeStrictly(bytes) {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The printable stretches of `text` (at least MIN_RUN_CHARS characters, tabs and newlines breaking them too)
 * joined with '…', cut to about MAX_EXCERPT_CHARS characters, never inside a character.
 * @param {string} text
 */
function printableExcerpt(text) {
  const runs = (text.match(PRINTABLE_RUNS) ?? []).map((run) => run.trim()).filter((run) => [...run].length >= MIN_RUN_CHARS);
  const chars = [...runs.join('…')];
  return chars.length > MAX_EXCERPT_CHARS ? `${chars.slice(0, MAX_EXCERPT_CHARS).join('')}…` : chars.join('');
}

/**
 * A command as one line: its name and its first `shown` arguments, each readable.
 * @param {{ head: Uint8Array, size: number }[]} parts  every argument, the command's name first
 * @param {number} [shown]
 */
export function readableCommand(parts, shown = 2) {
  const [name, ...args] = parts;
  if (!name) return '';
  const command = plainText(name.head, name.size)?.toUpperCase() ?? readableArgument(name.head, name.size);
  return [command, ...args.slice(0, shown).map((a) => readableArgument(a.head, a.size))].join(' ');
}
