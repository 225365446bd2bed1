/**
 * Contracts between the playground shell (mount.ts) and its panels. Each panel is mounted into an element the
 * shell provides (already labelled as its region) and returns a handle to dispose of it.
 */
import type { LabCommand } from '../protocol/lab-commands.ts';
import type { LabFile } from '../protocol/lab-file.ts';
import type { LabSettings } from '../protocol/lesson-schema.ts';
import type { LabStore } from './session/lab-store.ts';

export interface Disposable {
  dispose(): void;
}

/** Sends a supervisor command; rejects with the supervisor's readable error. */
export type SendCommand = (command: LabCommand) => Promise<void>;

export interface EditorOptions {
  files: LabFile[];
  /** Paths shown but not editable. */
  readonly: string[];
  /** Path opened first. */
  open: string;
  /** Ctrl/Cmd+S: the files whose saved content changed since the last save. */
  onSave(changed: LabFile[]): void;
  /** Ctrl/Cmd+Enter. */
  onRun(): void;
  /** Every edit (for drafts and the unsaved marker in the shell). */
  onChange?(files: LabFile[]): void;
}

export interface EditorHandle extends Disposable {
  /** Current content of every file, saved or not. */
  files(): LabFile[];
  /** Replace the content (Reset, apply solution, import) as an edit: undoable, and unsaved until saved. */
  setFiles(files: LabFile[]): void;
  /** These contents are now what the lab has (after Run, Check or a rolling deploy wrote them). */
  markSaved(files: LabFile[]): void;
  /** Ctrl/Cmd+S: hands the changed files to `onSave` (or says there is nothing to save). */
  save(): void;
  /** Paths with unsaved edits. */
  unsaved(): string[];
  focus(): void;
}

export type MountEditor = (element: HTMLElement, options: EditorOptions) => Promise<EditorHandle>;

export type MountTerminals = (element: HTMLElement, store: LabStore) => Promise<Disposable>;

export interface ClusterViewOptions {
  send: SendCommand;
  lab: LabSettings;
  /** Rolling deploy: saves the editor's files to the lab, then rolls them out one instance at a time. */
  deploy(): Promise<void>;
}
export type MountClusterView = (element: HTMLElement, store: LabStore, options: ClusterViewOptions) => Disposable;

export interface UsersPanelOptions {
  send: SendCommand;
  lab: LabSettings;
}
export type MountUsersPanel = (element: HTMLElement, store: LabStore, options: UsersPanelOptions) => Disposable;

export interface ChecksPanelOptions {
  /** Runs the lesson's checks (the shell saves files and starts the cluster first). */
  runChecks(): Promise<void>;
  /** The lesson's slug, for the rerun command a failed check shows. */
  slug: string;
}
export type MountChecksPanel = (element: HTMLElement, store: LabStore, options: ChecksPanelOptions) => Disposable;
