/**
 * Grading a lesson the way CI does: its starter, solution and every variant, one after another in one real lab,
 * each judged against what it must do. Used by the course's grading test and by the new-lesson scaffold's test.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, LabEvent } from '../../playground/protocol/lab-events.ts';
import type { LabFile } from '../../playground/protocol/lab-file.ts';
import { startCommand } from '../../playground/protocol/start-command.ts';
import { LabProcess } from '../../playground/server/lab-process.ts';
import type { Lesson, LessonVariant } from '../../playground/course/lessons.ts';

/** What one set of files must do: fail at least one check (the starter), pass all, or fail the named checks. */
type Expectation = { kind: 'starter' } | { kind: 'solution' } | LessonVariant;

export function judge(label: string, expectation: Expectation, results: CheckResult[]): string[] {
  const problems: string[] = [];
  if (results.length === 0) return [`${label}: no check ran`];
  if (expectation.kind === 'starter') {
    const failed = results.filter((r) => r.status === 'fail');
    if (failed.length === 0) problems.push(`${label} passed every check; a starter must fail at least one`);
    for (const r of failed) if (!/observed/i.test(r.message ?? '')) problems.push(`${label}: "${r.name}" failed without saying what it observed: ${r.message}`);
  } else if (expectation.kind === 'solution' || expectation.kind === 'correct') {
    const note = expectation.kind === 'correct' ? ` (${expectation.note})` : '';
    for (const r of results.filter((r) => r.status !== 'pass')) problems.push(`${label}${note} failed "${r.name}": ${r.message} [seed ${r.seed}]`);
  } else {
    const ran = results.map((r) => r.name).sort().join(', ');
    if (ran !== [...expectation.catches].sort().join(', ')) problems.push(`${label}: ran ${ran}, expected ${expectation.catches.join(', ')}`);
    for (const r of results) {
      if (r.status !== 'fail') problems.push(`${label} (wrong: ${expectation.note}) was not caught by "${r.name}": ${r.status} [seed ${r.seed}]`);
      else if (!/observed/i.test(r.message ?? '')) problems.push(`${label}: "${r.name}" failed without saying what it observed: ${r.message}`);
      else if (expectation.says && !expectation.says.test(r.message ?? '')) problems.push(`${label}: "${r.name}" failed without naming the cause (${expectation.says}): ${r.message}`);
    }
  }
  return problems;
}

/**
 * Grade the starter, the solution and every variant of a lesson one after another in one lab (the real
 * supervisor, balancer and Redis), replacing the app's files between them: the check command restarts every
 * instance on the new files and empties Redis first. A lab per grading would spend most of the time starting.
 * Wrong variants run only the checks their note names; everything else runs every check.
 */
export async function gradeLesson(lesson: Lesson, variants: LessonVariant[], redis: string): Promise<string[]> {
  const runs: { label: string; files: LabFile[]; expectation: Expectation }[] = [
    { label: 'starter', files: lesson.starter, expectation: { kind: 'starter' } },
    { label: 'solution', files: lesson.solution, expectation: { kind: 'solution' } },
    ...variants.map((v) => ({ label: `variants/${v.name}`, files: v.files, expectation: v })),
  ];
  const lab = await LabProcess.create({ files: lesson.starter, checksSource: await fs.readFile(lesson.checksFile, 'utf8'), redis });
  const problems: string[] = [];
  try {
    await lab.send(startCommand(lesson.meta.lab));
    for (const { label, files, expectation } of runs) {
      await replaceFiles(lab, files);
      const results: CheckResult[] = [];
      const collect = (event: LabEvent) => {
        if (event.type === 'check') results.push(event);
      };
      lab.on('event', collect);
      try {
        await lab.send({ type: 'check', ...(expectation.kind === 'wrong' ? { only: expectation.catches } : {}) });
        problems.push(...judge(label, expectation, results));
      } catch (error) {
        problems.push(`${label}: the grading itself failed: ${(error as Error).message}`);
      } finally {
        lab.off('event', collect);
      }
    }
  } finally {
    await lab.destroy();
  }
  return problems;
}

/** The app folder holds exactly `files` afterwards. */
async function replaceFiles(lab: LabProcess, files: LabFile[]): Promise<void> {
  const app = path.join(lab.dir, 'app');
  const keep = new Set(files.map((f) => f.path));
  // The running instances' own disks (.instances) are the lab's, not the learner's files, and come and go meanwhile.
  const learnerFiles = async (dir: string): Promise<string[]> => {
    const found: string[] = [];
    for (const entry of await fs.readdir(path.join(app, dir), { withFileTypes: true })) {
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (relative === '.instances') continue;
      if (entry.isDirectory()) found.push(...(await learnerFiles(relative)));
      else if (entry.isFile()) found.push(relative);
    }
    return found;
  };
  for (const relative of await learnerFiles('')) if (!keep.has(relative)) await fs.rm(path.join(app, relative), { force: true });
  await lab.writeFiles(files);
}

