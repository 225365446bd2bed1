import { describe, expect, it } from 'vitest';
import { HINTS } from '../../playground/protocol/lesson-schema.ts';
import { lessonFolders, loadLesson } from '../../playground/course/lessons.ts';
import { completenessProblems } from '../support/lesson-rules.ts';

// A lesson is only a lesson with prose, hints, a starter, a solution and checks. This fails the build otherwise.
const folders = await lessonFolders();

describe.each(folders)('lesson %s', (folder) => {
  it('is complete: prose that teaches, starter and solution with the entry point, checks that load', async () => {
    expect(await completenessProblems(await loadLesson(folder))).toEqual([]);
  });

  it(`has ${HINTS.min} to ${HINTS.max} hints, from a nudge to almost the answer`, async () => {
    const { meta } = await loadLesson(folder);
    expect(meta.hints.length).toBeGreaterThanOrEqual(HINTS.min);
    expect(meta.hints.length).toBeLessThanOrEqual(HINTS.max);
  });
});
