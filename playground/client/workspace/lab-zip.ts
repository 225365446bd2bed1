/**
 * A lesson's files as a zip: export builds one (the files plus a small manifest naming the lesson), import reads
 * one back and checks it before anything touches the editor. Pure functions, no DOM: the shell does the download
 * and the upload.
 */
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import type { LabFile } from '../../protocol/lab-file.ts';

/** Name of the manifest inside an exported zip. */
export const MANIFEST = 'stateless-lab.json';
/** Largest file accepted on import, uncompressed. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Largest total accepted on import, uncompressed. */
export const MAX_TOTAL_BYTES = 1024 * 1024;
/** Most files accepted on import. */
export const MAX_FILES = 50;

export interface ZipLesson {
  slug: string;
  /** Paths the lesson has (starter files). */
  known: string[];
  /** Paths the learner may not change; ignored on import. */
  readonly: string[];
}

export type ImportResult =
  | { ok: true; files: LabFile[]; ignored: string[] }
  | { ok: false; reason: string };

export function exportZip(slug: string, files: LabFile[], now = new Date()): Uint8Array {
  const entries: Zippable = {};
  for (const file of files) entries[file.path] = strToU8(file.content);
  entries[MANIFEST] = strToU8(JSON.stringify({ lesson: slug, exported: now.toISOString(), files: files.map((f) => f.path) }, null, 2) + '\n');
  return zipSync(entries, { level: 6, mtime: now });
}

export function exportFileName(slug: string, now = new Date()): string {
  return `stateless-lab-${slug}-${now.toISOString().slice(0, 10)}.zip`;
}

/** Why a path inside a zip is unsafe to load, or undefined if it is a plain relative path. */
export function unsafePath(path: string): string | undefined {
  if (!path) return 'an empty name';
  if (path.includes('\\')) return 'a backslash in its name';
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'an absolute path';
  if (path.split('/').some((part) => part === '..' || part === '.' || part === '')) return 'a "." or ".." segment';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(path)) return 'a control character in its name';
  if (path.length > 200) return 'a name longer than 200 characters';
  return undefined;
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}

/**
 * Reads a zip made by exportZip (or by hand: the files at the root, or all inside one folder). Refuses, with a
 * reason a learner can act on, anything that is not a zip, belongs to another lesson, holds unsafe paths or binary
 * files, is too big, or has none of this lesson's files.
 */
export function readLessonZip(data: Uint8Array, lesson: ZipLesson): ImportResult {
  let tooBig: string | undefined;
  let total = 0;
  let count = 0;
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(data, {
      // Sizes come from the zip's directory, so a zip bomb is refused before it is inflated.
      filter(file) {
        if (file.name.endsWith('/')) return false;
        count++;
        total += file.originalSize;
        if (file.originalSize > MAX_FILE_BYTES) tooBig ??= `${file.name} is ${kib(file.originalSize)}; the limit is ${kib(MAX_FILE_BYTES)} per file.`;
        return !tooBig && count <= MAX_FILES && total <= MAX_TOTAL_BYTES;
      },
    });
  } catch (error) {
    return { ok: false, reason: `This is not a readable zip file (${(error as Error).message || 'corrupt data'}).` };
  }
  if (tooBig) return { ok: false, reason: `The zip was not loaded: ${tooBig}` };
  if (count > MAX_FILES) return { ok: false, reason: `The zip was not loaded: it holds ${count} files; the limit is ${MAX_FILES}.` };
  if (total > MAX_TOTAL_BYTES) return { ok: false, reason: `The zip was not loaded: its files add up to ${kib(total)}; the limit is ${kib(MAX_TOTAL_BYTES)}.` };

  // Ignore the litter archivers add.
  let names = Object.keys(raw).filter((n) => !n.startsWith('__MACOSX/') && !/(^|\/)\.DS_Store$/.test(n));
  // A zip of a folder: strip the one folder everything sits in.
  const tops = new Set(names.map((n) => (n.includes('/') ? n.slice(0, n.indexOf('/')) : '')));
  let prefix = '';
  if (tops.size === 1 && !tops.has('') && names.length) prefix = `${[...tops][0]}/`;
  const content = new Map<string, Uint8Array>();
  for (const name of names) content.set(name.slice(prefix.length), raw[name]!);
  names = [...content.keys()];

  const manifestBytes = content.get(MANIFEST);
  if (manifestBytes) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(strFromU8(manifestBytes));
    } catch {
      return { ok: false, reason: `The zip's ${MANIFEST} is not valid JSON.` };
    }
    const from = (manifest as { lesson?: unknown } | null)?.lesson;
    if (typeof from === 'string' && from !== lesson.slug) {
      return { ok: false, reason: `This zip holds the files of another lesson ("${from}"), not "${lesson.slug}". Open that lesson to load it.` };
    }
    content.delete(MANIFEST);
  }

  const files: LabFile[] = [];
  const ignored: string[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [path, bytes] of content) {
    const unsafe = unsafePath(path);
    if (unsafe) return { ok: false, reason: `The zip was not loaded: "${path}" has ${unsafe}.` };
    if (lesson.readonly.includes(path)) {
      ignored.push(path);
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return { ok: false, reason: `The zip was not loaded: ${path} is not a text file.` };
    }
    files.push({ path, content: text });
  }
  if (!files.some((f) => lesson.known.includes(f.path))) {
    const expected = lesson.known.filter((p) => !lesson.readonly.includes(p)).join(', ');
    return { ok: false, reason: `This zip has none of this lesson's files (${expected}), so it was not loaded.` };
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { ok: true, files, ignored };
}
