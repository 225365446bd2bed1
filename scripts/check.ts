// npm run check -- <lesson> [--solution] [--json] [--redis auto|redis-server|js|url]
// Grades a lesson's starter (default) or solution files with the real supervisor. Exit 0 only if all checks pass.
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LabProcess, type LabEvent } from '../playground/server/lab-process.ts';
import { startCommand } from '../playground/runtime/start-command.ts';
import { loadLesson } from '../playground/server/lessons.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { solution: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, redis: { type: 'string' } },
});
const name = positionals[0];
if (!name) {
  console.error('usage: npm run check -- <lesson-slug> [--solution] [--json] [--redis auto|redis-server|js|url]');
  process.exit(2);
}

let lesson;
try {
  lesson = await loadLesson(name);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const which = values.solution ? 'solution' : 'starter';
const say = (text: string) => { if (!values.json) process.stderr.write(text + '\n'); };
const lab = await LabProcess.create({
  files: values.solution ? lesson.solution : lesson.starter,
  checksSource: await fs.readFile(lesson.checksFile, 'utf8'),
  redis: values.redis,
});
const cleanUp = async () => { await lab.destroy(); };
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));

let report: LabEvent | undefined;
lab.on('event', (event) => {
  if (event.type === 'process' && event.role === 'redis' && event.state === 'up') say(`  redis: ${String(event.backend)}`);
  if (event.type === 'checks-start') say(`Checking "${lesson.meta.title}" (${which} files)…`);
  if (event.type === 'check') {
    const mark = event.status === 'pass' ? '\u2713' : '\u2717';
    say(`  ${mark} ${String(event.name)} (${(Number(event.ms) / 1000).toFixed(1)} s)`);
    if (event.message) say(`      ${String(event.message).replace(/\n/g, '\n      ')}`);
  }
  if (event.type === 'checks') report = event;
});

let exitCode = 1;
try {
  await lab.send(startCommand(lesson.meta.lab));
  await lab.send({ type: 'check' });
  if (!report) throw new Error('the supervisor finished without a report');
  const tests = report.tests as { status: string }[];
  const passed = tests.filter((t) => t.status === 'pass').length;
  if (values.json) {
    const { type: _type, t: _t, ...result } = report;
    process.stdout.write(JSON.stringify({ lesson: lesson.slug, files: which, ...result }, null, 2) + '\n');
  } else {
    say(`${tests.length} checks: ${passed} passed, ${tests.length - passed} failed`);
  }
  exitCode = report.status === 'pass' ? 0 : 1;
} catch (error) {
  const message = (error as Error).message;
  if (values.json) process.stdout.write(JSON.stringify({ lesson: lesson.slug, files: which, status: 'error', message, tests: [] }, null, 2) + '\n');
  else console.error(`error: ${message}`);
  exitCode = 2;
} finally {
  await cleanUp();
}
process.exit(exitCode);
