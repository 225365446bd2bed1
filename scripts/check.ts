// npm run check -- <lesson> [--solution | --variant <name>] [--only <check name>]… [--seed N] [--json]
//   [--redis auto|redis-server|js|url]
// Grades a lesson's starter (default), solution or one of its variants with the real supervisor. Exit 0 only if
// every check that ran passed.
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LabProcess } from '../playground/server/lab-process.ts';
import type { LabEventOf } from '../playground/protocol/lab-events.ts';
import { startCommand } from '../playground/protocol/start-command.ts';
import { loadLesson, loadVariants } from '../playground/course/lessons.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    solution: { type: 'boolean', default: false },
    variant: { type: 'string' },
    only: { type: 'string', multiple: true },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    redis: { type: 'string' },
  },
});
const USAGE = 'usage: npm run check -- <lesson-slug> [--solution | --variant <name>] [--only <check name>] [--seed N] [--json] [--redis auto|redis-server|js|url]';
const name = positionals[0];
if (!name) {
  console.error(USAGE);
  process.exit(2);
}
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && !(Number.isInteger(seed) && seed > 0 && seed < 2 ** 32)) {
  console.error(`--seed must be a whole number from 1 to ${2 ** 32 - 1}, got "${values.seed}"`);
  process.exit(2);
}
if (values.solution && values.variant) {
  console.error(`--solution and --variant pick different files; give one.\n${USAGE}`);
  process.exit(2);
}

let lesson;
try {
  lesson = await loadLesson(name);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

let files = values.solution ? lesson.solution : lesson.starter;
let which = values.solution ? 'solution' : 'starter';
if (values.variant) {
  const variants = await loadVariants(lesson);
  const variant = variants.find((v) => v.name === values.variant);
  if (!variant) {
    console.error(`lesson "${lesson.slug}" has no variant "${values.variant}"; it has: ${variants.map((v) => v.name).join(', ') || 'none'}`);
    process.exit(2);
  }
  files = variant.files;
  which = `variant ${variant.name}`;
}
const say = (text: string) => { if (!values.json) process.stderr.write(text + '\n'); };
const lab = await LabProcess.create({
  files,
  checksSource: await fs.readFile(lesson.checksFile, 'utf8'),
  redis: values.redis,
});
const cleanUp = async () => { await lab.destroy(); };
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));

let report: LabEventOf<'checks'> | undefined;
lab.on('event', (event) => {
  if (event.type === 'process' && event.role === 'redis' && event.state === 'up') say(`  redis: ${String(event.backend)}`);
  if (event.type === 'checks-start') say(`Checking "${lesson.meta.title}" (${which} files)…`);
  if (event.type === 'check') {
    const mark = event.status === 'pass' ? '\u2713' : '\u2717';
    say(`  ${mark} ${String(event.name)} (${(Number(event.ms) / 1000).toFixed(1)} s)`);
    if (event.message) say(`      ${String(event.message).replace(/\n/g, '\n      ')}`);
    const reproduce = event.reproduce;
    if (event.status !== 'pass') {
      say(`      Rerun: npm run check -- ${lesson.slug}${values.solution ? ' --solution' : values.variant ? ` --variant ${values.variant}` : ''} --seed ${String(event.seed)} --only ${JSON.stringify(String(event.name))}`);
      if (reproduce?.curl) say(`      The request that showed it${reproduce.instance ? `, answered by ${reproduce.instance}` : ''} (with \`npm run lab -- ${lesson.slug}\` running): ${reproduce.curl}`);
    }
  }
  if (event.type === 'checks') report = event;
});

let exitCode = 1;
try {
  await lab.send(startCommand(lesson.meta.lab));
  await lab.send({ type: 'check', ...(seed ? { seed } : {}), ...(values.only?.length ? { only: values.only } : {}) });
  if (!report) throw new Error('the supervisor finished without a report');
  const tests = report.tests;
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
