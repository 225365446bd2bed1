/**
 * What makes a folder a finished lesson, as problems to report: prose that teaches, starter and solution with the
 * entry point, checks that load, and a catalogue of graded variants. The course's tests and the new-lesson
 * scaffold's test apply the same rules.
 */
import { loadChecks } from '../../playground/lab/grader.js';
import type { Lesson, LessonVariant } from '../../playground/course/lessons.ts';

export const MIN_PROSE_WORDS = 150;

export async function completenessProblems(lesson: Lesson): Promise<string[]> {
  const problems: string[] = [];
  const prose = lesson.body.replace(/```[\s\S]*?```/g, '');
  const words = prose.split(/\s+/).filter(Boolean).length;
  if (words < MIN_PROSE_WORDS) problems.push(`${lesson.folder}/index.md has ${words} words of prose; a lesson needs ${MIN_PROSE_WORDS}`);
  if (/prose to come|TODO|lorem ipsum/i.test(lesson.body)) problems.push(`${lesson.folder}/index.md still holds placeholder text`);
  const entry = lesson.meta.lab.entry;
  for (const [name, files] of [['starter', lesson.starter], ['solution', lesson.solution]] as const) {
    if (!files.some((f) => f.path === entry)) problems.push(`${lesson.folder}/${name} has no ${entry} (the lab's entry)`);
  }
  const starter = lesson.starter.find((f) => f.path === entry)?.content;
  if (starter !== undefined && starter === lesson.solution.find((f) => f.path === entry)?.content) problems.push(`${lesson.folder}: starter and solution ${entry} are the same`);
  for (const readonly of lesson.meta.lab.readonly) {
    if (!lesson.starter.some((f) => f.path === readonly)) problems.push(`${lesson.folder}: read-only ${readonly} is not in starter/`);
  }
  try {
    const checks = await loadChecks(lesson.checksFile);
    if (new Set(checks.map((c) => c.name)).size !== checks.length) problems.push(`${lesson.folder}/checks.js has two checks with one name`);
  } catch (error) {
    problems.push(`${lesson.folder}/checks.js does not load: ${(error as Error).message}`);
  }
  return problems;
}

/** At least three wrong variants and one correct one, each wrong one naming checks that exist. */
export async function catalogueProblems(lesson: Lesson, variants: LessonVariant[]): Promise<string[]> {
  const problems: string[] = [];
  const wrong = variants.filter((v) => v.kind === 'wrong').length;
  const correct = variants.filter((v) => v.kind === 'correct').length;
  if (wrong < 3) problems.push(`${lesson.folder} has ${wrong} wrong variants; a lesson needs at least 3`);
  if (correct < 1) problems.push(`${lesson.folder} has no correct variant`);
  const names = (await loadChecks(lesson.checksFile)).map((c) => c.name);
  for (const variant of variants) {
    for (const name of variant.catches) if (!names.includes(name)) problems.push(`${lesson.folder}/variants/${variant.name} catches "${name}", which is not a check`);
  }
  return problems;
}
