// npm run lab -- <lesson> [--solution] [--port 3000] [--redis auto|redis-server|js|url]
// Runs a lesson's cluster in the terminal with a readable log, and takes commands typed on stdin.
import fs from 'node:fs/promises';
import readline from 'node:readline';
import { parseArgs, styleText } from 'node:util';
import { LabProcess } from '../playground/server/lab-process.ts';
import { labCommand, type LabCommand } from '../playground/protocol/lab-commands.ts';
import type { LabEvent, LabEventOf } from '../playground/protocol/lab-events.ts';
import { MAX_INSTANCES, MIN_INSTANCES, STRATEGIES } from '../playground/lab/rules.js';
import { startCommand } from '../playground/protocol/start-command.ts';
import { loadLesson } from '../playground/course/lessons.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    solution: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.LAB_PORT ?? '3000' },
    redis: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const name = positionals[0];
if (!name) {
  console.error('usage: npm run lab -- <lesson-slug> [--solution] [--port 3000] [--redis auto|redis-server|js|url]');
  process.exit(2);
}
const lesson = await loadLesson(name).catch((error: Error) => {
  console.error(error.message);
  process.exit(2);
});

type Colour = Parameters<typeof styleText>[0];
const colourOf: Record<string, Colour> = { A: 'cyan', B: 'magenta', C: 'yellow', D: 'blue', E: 'green', redis: 'red', balancer: 'white' };
const tag = (who: string) => styleText(colourOf[who] ?? 'white', who.padEnd(8));
const stateColour: Record<string, Colour> = { up: 'green', starting: 'yellow', crashed: 'red', unhealthy: 'red', stopped: 'gray', stopping: 'gray' };

function show(event: LabEvent): void {
  switch (event.type) {
    case 'process': {
      const state = event.state;
      const backend = event.role === 'redis' ? event.backend : undefined;
      const extra = [event.port ? `port ${event.port}` : '', backend ?? '', event.reason ?? '']
        .filter(Boolean).join(', ');
      console.log(`${tag(String(event.name))} ${styleText(stateColour[state] ?? 'white', state)}${extra ? ` — ${extra}` : ''}`);
      break;
    }
    case 'log':
      if (!values.quiet) console.log(`${tag(String(event.name))} ${styleText(event.stream === 'stderr' ? 'red' : 'dim', String(event.text))}`);
      break;
    case 'user': {
      const status = Number(event.status);
      const verdict = event.loggedOut ? styleText('red', 'LOGGED OUT') : event.loggedIn ? styleText('green', 'logged in') : '';
      console.log(`${tag(String(event.user))} ${String(event.action)} → ${String(event.instance ?? '-')} ${status >= 400 || status === 0 ? styleText('red', String(status)) : status} ${verdict}`);
      break;
    }
    case 'request':
      if (!event.user && !values.quiet) console.log(`${tag('balancer')} ${String(event.method)} ${String(event.path)} → ${String(event.instance ?? '-')} ${String(event.status)} ${String(event.ms)} ms`);
      break;
    case 'deploy':
      console.log(`${tag('deploy')} ${String(event.phase)}${event.instance ? ` ${String(event.instance)}` : ''}${event.reason ? ` — ${String(event.reason)}` : ''}`);
      break;
    case 'check':
      console.log(`${event.status === 'pass' ? styleText('green', '\u2713') : styleText('red', '\u2717')} ${String(event.name)}${event.message ? `\n    ${String(event.message)}` : ''}`);
      break;
    case 'checks':
      console.log(styleText('bold', `checks: ${String(event.status)}`));
      break;
    case 'error':
      console.log(styleText('red', `error: ${String(event.message)}`));
      break;
    case 'status':
      for (const line of describeStatus(event)) console.log(line);
      break;
  }
}

/** The `status` snapshot as lines: the balancer, Redis, then one line per instance. */
function describeStatus({ balancer, redis, instances }: LabEventOf<'status'>): string[] {
  const lines = [
    `${tag('balancer')} ${balancer.port ? `port ${balancer.port}, ${balancer.strategy}` : styleText('gray', 'not started')}`,
    `${tag('redis')} ${redis ? `${redis.backend}, port ${redis.port}` : styleText('gray', 'not started')}`,
  ];
  if (instances.length === 0) lines.push(`${tag('cluster')} no instances`);
  for (const i of instances) {
    const state = styleText(stateColour[i.state] ?? 'white', i.state);
    const detail = [i.port ? `port ${i.port}` : '', i.pid ? `pid ${i.pid}` : '', `served ${i.served ?? 0}`, i.reason ?? ''].filter(Boolean).join(', ');
    lines.push(`${tag(i.name)} ${state} — ${detail}`);
  }
  return lines;
}

const HELP = `commands:
  login|visit|logout <user>     as alice, bob, carol…
  traffic on [rps] | traffic off
  kill|stop|start|restart <A-J>
  burst <user> <METHOD> <path> <count>     e.g. burst alice GET /api/quote 30
  action <n>      the lesson's n-th action (1, 2, …)
  scale <${MIN_INSTANCES}-${MAX_INSTANCES}>    deploy    strategy <${STRATEGIES.join('|')}>
  check           status    help    quit`;

/** A typed line as a supervisor command, checked against the protocol, or what is wrong with it. */
function toCommand(line: string): { ok: true; command: LabCommand } | { ok: false; error: string } | undefined {
  const candidate = candidateCommand(line);
  if (!candidate) return undefined;
  const parsed = labCommand.safeParse(candidate);
  if (parsed.success) return { ok: true, command: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: issue ? `${issue.path.join('.') || 'command'}: ${issue.message}` : 'not a command' };
}

function candidateCommand(line: string): Record<string, unknown> | undefined {
  const [verb = '', arg, arg2] = line.trim().split(/\s+/);
  if (['login', 'visit', 'logout'].includes(verb)) return { type: 'user', action: verb, user: arg ?? 'alice' };
  if (['kill', 'stop', 'start', 'restart'].includes(verb) && arg) return { type: 'instance', action: verb, name: arg.toUpperCase() };
  if (verb === 'scale') return { type: 'scale', instances: Number(arg) };
  if (verb === 'burst' && arg && arg2) {
    const [, , , path = '/', count = '10'] = line.trim().split(/\s+/);
    return { type: 'burst', user: arg, method: arg2.toUpperCase(), path, count: Number(count) };
  }
  if (verb === 'action') {
    const action = lesson.meta.lab.actions[Number(arg) - 1];
    if (action) return { type: 'burst', user: 'alice', method: action.method, path: action.path, count: action.count };
  }
  if (verb === 'deploy') return { type: 'deploy' };
  if (verb === 'strategy') return { type: 'strategy', strategy: arg };
  if (verb === 'traffic') return { type: 'traffic', on: arg !== 'off', rps: Number(arg2 ?? 5) };
  if (verb === 'check') return { type: 'check' };
  if (verb === 'status') return { type: 'status' };
  return undefined;
}

const lab = await LabProcess.create({
  files: values.solution ? lesson.solution : lesson.starter,
  checksSource: await fs.readFile(lesson.checksFile, 'utf8'),
  port: Number(values.port),
  redis: values.redis,
});
lab.on('event', show);
lab.on('stderr', (line) => console.error(styleText('dim', `[supervisor] ${line}`)));
let closing = false;
const close = async (code: number) => {
  if (closing) return;
  closing = true;
  console.log('stopping the lab…');
  await lab.destroy();
  process.exit(code);
};
process.on('SIGINT', () => void close(0));
process.on('SIGTERM', () => void close(0));
lab.on('exit', () => void close(1));

console.log(styleText('bold', `${lesson.meta.title} — ${values.solution ? 'solution' : 'starter'} files in ${lab.dir}/app`));
try {
  await lab.send(startCommand(lesson.meta.lab));
  console.log(styleText('bold', `balancer: http://127.0.0.1:${lab.balancerPort}   (type "help" for commands, Ctrl+C to stop)`));
} catch (error) {
  console.error(`could not start the lab: ${(error as Error).message}`);
  await close(1);
}

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === '') return;
  if (line.trim() === 'help') return console.log(HELP);
  if (line.trim() === 'quit') return void close(0);
  const command = toCommand(line);
  if (!command) return console.log(`unknown command "${line.trim()}"\n${HELP}`);
  if (!command.ok) return console.log(`"${line.trim()}": ${command.error}`);
  lab.send(command.command).catch(() => undefined);
});
