/**
 * The learner's files in this page: the editor's once it has loaded (the starter or the restored draft before),
 * every change kept as the draft. File operations (file-operations.ts) are carried out here like typing.
 */
import type { LabFile } from '../../protocol/lab-file.ts';
import type { EditorHandle } from '../components.ts';
import type { DraftKeeper } from './drafts.ts';
import type { FileChange } from './file-operations.ts';

export class Workspace {
  private editor: EditorHandle | undefined;
  private initial: LabFile[];
  private readonly drafts: DraftKeeper;

  constructor(starter: LabFile[], drafts: DraftKeeper) {
    this.initial = starter;
    this.drafts = drafts;
  }

  /** The files as the page has them: the editor's, saved or not. */
  files = (): LabFile[] => this.editor?.files() ?? this.initial;

  get ready(): boolean {
    return Boolean(this.editor);
  }

  /** Before the editor loads: the files it will open with (a restored draft). */
  open(files: LabFile[]): void {
    this.initial = files;
  }

  attach(editor: EditorHandle): void {
    this.editor = editor;
  }

  /** Carry out a file operation (undoable in the editor too, unsaved until saved); returns its Undo. */
  apply(change: FileChange): () => void {
    this.replace(change.next);
    return () => this.replace(change.before);
  }

  private replace(files: LabFile[]): void {
    if (this.editor) this.editor.setFiles(files);
    else this.initial = files;
    this.drafts.save(this.files());
  }
}
