/**
 * What a lesson page hands the playground, and the playground's entry point.
 */
import type { LabSettings } from '../protocol/lesson-schema.ts';
import type { LabFile } from '../protocol/lab-file.ts';

/**
 * What a lesson page hands to the playground. The page embeds it as JSON
 * (`<script type="application/json" data-lesson-data>`) at build time, so the browser
 * needs no extra request to start the lab.
 */
export interface LessonClientData {
  /** URL slug, e.g. "map-trap" (the folder name without its "nn-" prefix). */
  slug: string;
  /** Lesson title from the frontmatter. */
  title: string;
  /** Lab settings from the frontmatter's `lab` block, with the schema's defaults filled in. */
  lab: LabSettings;
  /** Files the learner starts from (the lesson's starter/ folder). */
  starter: LabFile[];
  /** The reference answer (the lesson's solution/ folder). */
  solution: LabFile[];
  /** Source of the lesson's checks.js, for graders that run in the learner's browser. */
  checks: string;
}

/** Signature of the playground entry point that lesson pages load lazily. */
export type MountPlayground = (element: HTMLElement, lesson: LessonClientData) => void;
