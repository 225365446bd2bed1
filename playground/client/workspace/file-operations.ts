/**
 * Everything that replaces the learner's files at once — Reset, applying a solution file, importing a zip,
 * restoring a draft — as pure steps: each takes the files as they are and returns the files as they will be, the
 * paths it changes and the words the page says about it. The shell carries them out like typing (undoable in the
 * editor, unsaved until Ctrl+S rolls them out) and offers Undo with `before`.
 */
import type { LabFile } from '../../protocol/lab-file.ts';
import { changedPaths, mergeDraft } from './drafts.ts';

export interface FileChange {
  /** The files after the operation (every file, not only the changed ones). */
  next: LabFile[];
  /** The files before it, for Undo. */
  before: LabFile[];
  /** Paths the operation changes (new content, new files, then removed files). */
  changed: string[];
  /** What happened, in one sentence for the notice. */
  summary: string;
}

/** When there is nothing to do: the reason, and the files are left as they are. */
export interface NoChange {
  changed: [];
  summary: string;
}

export type FileOperation = FileChange | NoChange;

export function isChange(operation: FileOperation): operation is FileChange {
  return operation.changed.length > 0;
}

/** `files` with `incoming` written over them: same paths keep their place, new paths are added at the end. */
export function writeOver(files: LabFile[], incoming: LabFile[]): LabFile[] {
  const byPath = new Map(incoming.map((f) => [f.path, f.content]));
  const next = files.map((f) => (byPath.has(f.path) ? { path: f.path, content: byPath.get(f.path)! } : f));
  for (const f of incoming) if (!files.some((existing) => existing.path === f.path)) next.push(f);
  return next;
}

const list = (paths: string[]) => (paths.length <= 1 ? (paths[0] ?? '') : `${paths.slice(0, -1).join(', ')} and ${paths.at(-1)}`);

function change(before: LabFile[], next: LabFile[], summary: (changed: string[]) => string, nothing: string): FileOperation {
  const removed = before.filter((f) => !next.some((n) => n.path === f.path)).map((f) => f.path);
  const changed = [...changedPaths(next, before), ...removed];
  if (!changed.length) return { changed: [], summary: nothing };
  return { next, before, changed, summary: summary(changed) };
}

/** Back to the starter for every file the learner may edit; read-only files are the starter's already. */
export function resetToStarter(current: LabFile[], starter: LabFile[], readonly: string[]): FileOperation {
  const editable = starter.filter((f) => !readonly.includes(f.path));
  const next = writeOver(current, editable).filter((f) => starter.some((s) => s.path === f.path) || readonly.includes(f.path));
  return change(current, next, (changed) => `Reset ${list(changed)} to the starter.`, 'Your files already match the starter.');
}

/** One file of the solution in place of the learner's. */
export function applySolutionFile(current: LabFile[], solution: LabFile[], path: string): FileOperation {
  const file = solution.find((f) => f.path === path);
  if (!file) return { changed: [], summary: `The solution has no ${path}.` };
  return change(current, writeOver(current, [file]), () => `Applied the solution's ${path}.`, `${path} already matches the solution.`);
}

/** Files read from an imported zip (already validated by lab-zip.ts), over the learner's. */
export function importFiles(current: LabFile[], imported: LabFile[], source: string, ignored: string[] = []): FileOperation {
  const skipped = ignored.length ? ` (${list(ignored)} ${ignored.length === 1 ? 'is' : 'are'} read-only here and kept as it is)` : '';
  return change(
    current,
    writeOver(current, imported),
    (changed) => `Imported ${list(changed)} from ${source}${skipped}.`,
    `${source} holds the same files as your editor${skipped}.`,
  );
}

/** The files a lesson opens with: the starter, with the learner's draft over the files they may edit. */
export function restoreDraft(starter: LabFile[], draft: { files: LabFile[]; savedAt: number } | undefined, readonly: string[], locale?: string): FileOperation {
  if (!draft) return { changed: [], summary: 'No draft: the starter files.' };
  const when = new Date(draft.savedAt).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  return change(starter, mergeDraft(starter, draft.files, readonly), () => `Your draft from ${when} is back. Reset returns to the starter.`, 'Your draft matches the starter.');
}
