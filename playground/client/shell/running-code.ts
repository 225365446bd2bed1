/**
 * Does the cluster run what the editor shows? Compares the files the instances were started or rolled out with
 * (the session knows) with the editor's files, and says so in a few words.
 */
import type { LabFile } from '../../protocol/lab-file.ts';
import { changedPaths } from '../workspace/drafts.ts';

export interface RunningCode {
  state: 'none' | 'same' | 'differs';
  text: string;
  /** Files whose editor content the cluster does not run. */
  paths: string[];
}

/** `serving`: some instance is up or starting, so there is code running at all. */
export function describeRunningCode(running: LabFile[] | undefined, editor: LabFile[], serving: boolean, saveKey: string): RunningCode {
  if (!running || !serving) return { state: 'none', text: '', paths: [] };
  const paths = changedPaths(editor, running);
  if (!paths.length) return { state: 'same', text: 'The cluster runs the code in your editor.', paths };
  const names = paths.length > 2 ? `${paths.slice(0, 2).join(', ')} and ${paths.length - 2} more` : paths.join(' and ');
  return { state: 'differs', text: `The cluster runs older code: ${names} changed since it started. ${saveKey}+S rolls it out.`, paths };
}
