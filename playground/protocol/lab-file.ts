/** One file of a lab, as the learner sees it in the editor. `path` is relative and uses `/`. */
export interface LabFile {
  path: string;
  content: string;
}
