// @ts-check
/**
 * Commands arrive as JSON lines on stdin. This module turns a line into a validated command or a readable error;
 * it never throws on bad input.
 */

/** @typedef {{ type: string, id?: string | number, [key: string]: unknown }} Command */

/** Every command the supervisor carries out (the protocol's command schema must list the same). */
export const COMMAND_TYPES = /** @type {const} */ (['start', 'stop', 'instance', 'scale', 'deploy', 'strategy', 'user', 'traffic', 'burst', 'check', 'status', 'shutdown', 'tunnel']);

/**
 * @param {string} line
 * @returns {{ ok: true, command: Command } | { ok: false, error: string }}
 */
export function parseCommand(line) {
  if (line.length > 64 * 1024) return { ok: false, error: `command is ${line.length} bytes; the limit is 64 KB` };
  let value;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `not valid JSON (${/** @type {Error} */ (error).message}): ${line.slice(0, 80)}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'a command must be a JSON object like {"type":"status"}' };
  if (typeof value.type !== 'string') return { ok: false, error: 'a command needs a string "type"' };
  if (!COMMAND_TYPES.includes(value.type)) return { ok: false, error: `unknown command type "${value.type}"; known: ${COMMAND_TYPES.join(', ')}` };
  return { ok: true, command: value };
}

/** @param {Command} command @param {string} key @returns {string} */
export function text(command, key) {
  const value = command[key];
  if (typeof value !== 'string' || value === '') throw new Error(`"${command.type}" needs a string "${key}"`);
  return value;
}

/** @param {Command} command @param {string} key @param {number} [fallback] @returns {number} */
export function number(command, key, fallback) {
  const value = command[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`"${command.type}" needs a number "${key}"`);
  return value;
}
