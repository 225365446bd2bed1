/**
 * The playground's status line: what the lab is doing, in words, from the store's state. It names what is wrong
 * ("2 of 3 instances up; C crashed: …", "The balancer crashed") rather than saying "Running" over a dead
 * cluster, and keeps a stopped instance (someone stopped it) apart from a crashed one (the code died).
 */
import { excerpt } from '../../lab/excerpt.js';
import type { InstanceView, LabState, ProcessState } from './lab-store.ts';

/** A reason in the status line is a pointer, not the whole story (the cluster view has it in full). */
const REASON_MAX = 90;
/** At most this many distinct crash reasons are quoted; the rest are counted. */
const REASONS_SHOWN = 2;

const DOWN: readonly ProcessState[] = ['crashed', 'unhealthy', 'stopped', 'stopping'];

/** "A", "A and B", "A, B and C". */
function names(list: readonly InstanceView[]): string {
  const all = list.map((i) => i.name);
  return all.length <= 1 ? (all[0] ?? '') : `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
}

function reasonText(reason: string | undefined): string {
  return excerpt(reason, REASON_MAX, '');
}

/**
 * Instances grouped by their reason, each group as `label(names)` and the reason: "B and C crashed: server.js:3:
 * SyntaxError…". `label` returns "" when the sentence already names them all (then only the reason is left).
 */
function withReasons(list: readonly InstanceView[], label: (who: string, many: boolean) => string): string[] {
  const byReason = new Map<string, InstanceView[]>();
  for (const instance of list) {
    const reason = reasonText(instance.reason);
    byReason.set(reason, [...(byReason.get(reason) ?? []), instance]);
  }
  const groups = [...byReason];
  const many = groups.length > 1;
  const parts = groups.slice(0, REASONS_SHOWN).map(([reason, group]) => [label(names(group), many), reason].filter(Boolean).join(': '));
  const rest = groups.slice(REASONS_SHOWN).flatMap(([, group]) => group);
  if (rest.length) parts.push(`${label(names(rest), true)} too`);
  return parts.filter(Boolean);
}

/** The instances in one short sentence, without a full stop. */
export function describeInstances(instances: readonly InstanceView[]): string {
  const total = instances.length;
  const of = (state: ProcessState) => instances.filter((i) => i.state === state);
  const up = of('up').length;
  if (up === total) return total === 1 ? `Running: instance ${instances[0]!.name} up` : `Running: all ${total} instances up`;

  const first = instances[0]!.state;
  if (instances.every((i) => i.state === first)) {
    const all = total === 1 ? `Instance ${instances[0]!.name} ${first}` : `All ${total} instances ${first}`;
    if (first !== 'crashed' && first !== 'unhealthy') return all;
    // The head names them all: a shared reason is said once, different ones per instance ("A: …; B: …").
    const reasons = withReasons(instances, (who, many) => (many ? who : ''));
    return reasons.length ? `${all}: ${reasons.join('; ')}` : all;
  }

  const head = up === 0 ? 'No instance is up' : `${up} of ${total} instances up`;
  const parts = [
    ...withReasons(of('crashed'), (who) => `${who} crashed`),
    ...withReasons(of('unhealthy'), (who) => `${who} unhealthy`),
    ...(['stopped', 'stopping', 'starting'] as const).filter((s) => of(s).length > 0).map((s) => `${names(of(s))} ${s}`),
  ];
  return `${head}; ${parts.join('; ')}`;
}

/** "The balancer crashed: no request reaches the instances." when it is down; "" otherwise. */
function balancerNote(state: LabState): string {
  const s = state.balancer.state;
  if (!DOWN.includes(s as ProcessState)) return '';
  return `The balancer ${s === 'stopping' ? 'is stopping' : s}: no request reaches the instances.`;
}

/** "Redis crashed: …" when it is down; "" otherwise (absent: this lab has none yet). */
function redisNote(state: LabState): string {
  const { state: s, reason } = state.redis;
  if (!DOWN.includes(s as ProcessState)) return '';
  const why = s === 'crashed' || s === 'unhealthy' ? reasonText(reason) : '';
  return stop(`Redis ${s === 'stopping' ? 'is stopping' : s}${why ? `: ${why}` : ''}`);
}

function sentence(...parts: string[]): string {
  return parts.filter(Boolean).join(' ');
}

/** A full stop, unless the text already ends with one or with an ellipsis. */
function stop(text: string): string {
  return /[.…]$/.test(text) ? text : `${text}.`;
}

/** One sentence that says what the lab is doing, for the status line (and screen readers). */
export function describeStatus(state: LabState): string {
  const { phase, instances } = state;
  const up = instances.filter((i) => i.state === 'up').length;
  switch (phase.name) {
    case 'idle':
      return 'Press Run (Ctrl+Enter) to start the cluster.';
    case 'connecting':
      return phase.detail;
    case 'starting': {
      const broken = instances.some((i) => i.state === 'crashed' || i.state === 'unhealthy');
      if (instances.length === 0) return phase.detail;
      return broken ? sentence(phase.detail, stop(describeInstances(instances))) : `${phase.detail} ${up} of ${instances.length} instances up.`;
    }
    case 'running': {
      const note = phase.note ?? '';
      if (state.checks.running) return `Running checks: ${state.checks.results.length} of ${state.checks.names.length} done.`;
      if (state.deploying) return sentence(`Rolling deploy in progress: ${instances.map((i) => `${i.name} ${i.state}`).join(', ')}.`, note);
      if (instances.length === 0) return sentence('The lab is open. Press Run to start the cluster.', note);
      return sentence(balancerNote(state), stop(describeInstances(instances)), redisNote(state), note);
    }
    case 'stopped':
      return 'The lab stopped. Press Run to start it again.';
    case 'lost':
      return `${phase.detail} Your edits are safe in the editor.`;
    case 'failed':
      return `The lab could not start: ${phase.detail}`;
  }
}
