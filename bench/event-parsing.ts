/**
 * What checking every supervisor line against the event schema costs the lab host, beside what reading it cost
 * before (JSON.parse and an object check), in the same run on the same lines.
 *
 *   node bench/event-parsing.ts [--lines N] [--rounds N]
 *
 * The lines are a lab's realistic mix under load: mostly `request` events (one per proxied request), then `user`
 * results, `log` lines and `process` changes. Prints µs per line for both readers, the ratio, and what share of
 * one core the schema check takes at 5 000 events per second (a burst of traffic through one lab).
 */
import { parseArgs } from 'node:util';
import { parseLabEvent } from '../playground/protocol/lab-events.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '7' } } });
const count = Number(values.lines);
const rounds = Number(values.rounds);

const samples = [
  { type: 'request', user: 'alice', method: 'GET', path: '/me', instance: 'B', status: 200, ms: 3.4, t: 1 },
  { type: 'request', method: 'POST', path: '/api/quote?x=1', instance: null, status: 503, ms: 0.8, t: 1 },
  { type: 'user', user: 'bob', action: 'visit', status: 200, instance: 'A', loggedIn: true, loggedOut: false, named: 'bob', mixup: null, refused: false, ms: 4, body: '{"user":"bob"}', t: 1 },
  { type: 'log', name: 'C', stream: 'stdout', text: 'GET /me 200 3 ms – session 3f2a…', t: 1 },
  { type: 'process', role: 'instance', name: 'A', generation: 2, state: 'up', port: 40123, pid: 812, reason: null, exitCode: null, lastLines: ['listening on 40123'], served: 812, t: 1 },
];
const weights = [70, 10, 12, 6, 2];
const lines: string[] = [];
for (let i = 0; lines.length < count; i++) {
  samples.forEach((sample, k) => {
    for (let w = 0; w < weights[k]! && lines.length < count; w++) lines.push(JSON.stringify({ ...sample, t: Date.now() + i }));
  });
}

function before(line: string): unknown {
  try {
    const event: unknown = JSON.parse(line);
    return typeof event === 'object' && event !== null && !Array.isArray(event) ? event : undefined;
  } catch {
    return undefined;
  }
}

function time(read: (line: string) => unknown): number {
  const started = process.hrtime.bigint();
  let kept = 0;
  for (const line of lines) if (read(line)) kept++;
  const ns = Number(process.hrtime.bigint() - started);
  if (kept !== lines.length) throw new Error(`only ${kept} of ${lines.length} lines were read as events`);
  return ns / lines.length / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const old: number[] = [];
const checked: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate the order so neither reader always runs on a warmer process.
  if (r % 2 === 0) {
    old.push(time(before));
    checked.push(time((line) => (parseLabEvent(line).ok ? true : undefined)));
  } else {
    checked.push(time((line) => (parseLabEvent(line).ok ? true : undefined)));
    old.push(time(before));
  }
}
const [a, b] = [median(old), median(checked)];
console.log(`${lines.length} lines × ${rounds} rounds (median of rounds)`);
console.log(`JSON.parse + object check (before): ${a.toFixed(2)} µs/line`);
console.log(`parseLabEvent (schema-checked):     ${b.toFixed(2)} µs/line   ×${(b / a).toFixed(1)}`);
console.log(`at 5000 events/s: ${((b * 5000) / 1e4).toFixed(2)} % of a core (before ${((a * 5000) / 1e4).toFixed(2)} %)`);
