// @ts-check

/**
 * A short, one-line account of `text` (an answer's body, an error) for a message: whitespace folded, and when it
 * is longer than `max` characters, cut at the last word boundary before `max` with an ellipsis, never mid-word.
 * @param {string | undefined | null} text @param {number} [max] @param {string} [empty] what to say for no text
 */
export function excerpt(text, max = 160, empty = '(empty body)') {
  const flat = (text ?? '').trim().replace(/\s+/g, ' ');
  if (flat === '') return empty;
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max + 1);
  const boundary = cut.search(/\s\S*$/);
  // One long word (a token, a URL): cutting inside it is the only choice.
  const kept = boundary > max / 2 ? cut.slice(0, boundary) : flat.slice(0, max);
  return `${kept.replace(/[\s,;:.]+$/, '')}…`;
}
