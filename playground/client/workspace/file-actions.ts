/**
 * The buttons that change the learner's files at once — Reset, Show solution → Apply, Import zip — and Export zip,
 * with the draft indicator beside them. Each change is carried out like typing (file-operations.ts, workspace.ts):
 * undoable, unsaved until saved, and the notice offers Undo.
 */
import type { EditorHandle } from '../components.ts';
import { el } from '../dom.ts';
import type { LabFile } from '../../protocol/lab-file.ts';
import type { LessonClientData } from '../types.ts';
import { confirmDialog } from '../shell/confirm-dialog.ts';
import type { NoticeBoard } from '../shell/notices.ts';
import { button } from '../shell/toolbar.ts';
import { MOD } from '../shortcuts.ts';
import { DRAFT_WORDS, type DraftState } from './drafts.ts';
import { applySolutionFile, importFiles, isChange, resetToStarter, type FileOperation } from './file-operations.ts';
import type { SolutionDiff } from './solution-diff.ts';
import type { Workspace } from './workspace.ts';

export interface FileActionsOptions {
  lesson: LessonClientData;
  workspace: Workspace;
  notices: NoticeBoard;
  editor(): EditorHandle | undefined;
  /** What the cluster runs, if it runs: the notice says how a change reaches it. */
  runningFiles(): LabFile[] | undefined;
  /** The toolbar's Reset and Solution buttons. */
  reset: HTMLButtonElement;
  solution: HTMLButtonElement;
  /** Runs an action, showing its error as a notice. */
  act(what: () => Promise<unknown>): void;
  /** The files changed (the page repaints what runs). */
  changed(): void;
}

export interface FileActions {
  /** Draft indicator, Export zip, Import zip: the editor's head row. */
  tools: HTMLElement;
  showDraft(state: DraftState): void;
}

const STILL_LOADING = 'The editor is still loading; try again in a moment.';

export function fileActions(options: FileActionsOptions): FileActions {
  const { lesson, workspace, notices, editor, reset, solution, act } = options;
  const readonly = lesson.lab.readonly;
  const draftStatus = el('span', { class: 'pg-draft', role: 'status', 'data-state': 'idle' });
  const exportZip = button('Export zip', { class: 'pg-button pg-small', title: 'Download this lesson’s files as a zip' });
  const importZip = button('Import zip', { class: 'pg-button pg-small', title: 'Load files from a zip exported here (can be undone)' });
  const importInput = el('input', { type: 'file', accept: '.zip,application/zip', hidden: '', 'aria-label': 'Zip file to import' });
  const tools = el('div', { class: 'pg-file-tools', role: 'toolbar', 'aria-label': 'Your files' }, draftStatus, exportZip, importZip, importInput);

  let diffView: SolutionDiff | undefined;

  /** Carry out a file operation; returns its Undo (undefined when there was nothing to change). */
  const apply = (operation: FileOperation): (() => void) | undefined => {
    if (!isChange(operation)) {
      notices.set('files', operation.summary);
      return undefined;
    }
    const undo = workspace.apply(operation);
    notices.clear('save');
    const next = options.runningFiles() ? `${MOD}+S rolls it out to the cluster.` : 'Run starts the cluster with it.';
    notices.set('files', `${operation.summary} ${next}`, {
      undo: () => {
        undo();
        diffView?.refresh();
        options.changed();
      },
    });
    options.changed();
    return undo;
  };

  reset.addEventListener('click', () => {
    const current = editor();
    if (!current) return notices.set('files', STILL_LOADING);
    const operation = resetToStarter(workspace.files(), lesson.starter, readonly);
    if (!isChange(operation)) return void apply(operation);
    void confirmDialog({
      title: 'Reset to the starter?',
      text: `This replaces your changes to ${operation.changed.join(', ')} with the starter files. You can undo it right after.`,
      confirm: 'Reset',
    }).then((yes) => {
      if (yes) apply(operation);
      current.focus();
    });
  });

  // Show solution: a diff beside the learner's code; "Apply" one file at a time, each undoable.
  let undoApply: (() => void) | undefined;
  solution.addEventListener('click', () => {
    if (!editor()) return notices.set('files', STILL_LOADING);
    act(async () => {
      const { openSolutionDiff } = await import('./solution-diff.ts');
      diffView = await openSolutionDiff({
        solution: lesson.solution,
        readonly,
        open: lesson.lab.open ?? lesson.lab.entry,
        current: workspace.files,
        apply(path) {
          undoApply = apply(applySolutionFile(workspace.files(), lesson.solution, path));
        },
        undo: () => {
          undoApply?.();
          undoApply = undefined;
          notices.clear('files');
          diffView?.refresh();
          options.changed();
        },
      });
    });
  });

  exportZip.addEventListener('click', () =>
    act(async () => {
      const { exportZip: build, exportFileName } = await import('./lab-zip.ts');
      const blob = new Blob([build(lesson.slug, workspace.files()) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: exportFileName(lesson.slug) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }),
  );
  importZip.addEventListener('click', () => {
    if (!editor()) return notices.set('files', STILL_LOADING);
    importInput.value = '';
    importInput.click();
  });
  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (!file || !editor()) return;
    act(async () => {
      const { readLessonZip } = await import('./lab-zip.ts');
      const result = readLessonZip(new Uint8Array(await file.arrayBuffer()), { slug: lesson.slug, known: lesson.starter.map((f) => f.path), readonly });
      if (!result.ok) return notices.set('files', `Import refused: ${result.reason} Your files are unchanged.`, { tone: 'error' });
      apply(importFiles(workspace.files(), result.files, file.name, result.ignored));
      importZip.focus();
    });
  });

  return {
    tools,
    showDraft(state) {
      draftStatus.dataset.state = state;
      draftStatus.textContent = DRAFT_WORDS[state] || 'Edits are kept in this browser';
      draftStatus.title = state === 'unavailable' ? 'This browser will not let the page store data (private mode or full storage). Export a zip to keep your work.' : '';
    },
  };
}
