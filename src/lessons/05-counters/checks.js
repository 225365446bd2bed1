// Checks for "Counters": a limit of 10 quotes per 10 s per client must hold for the whole cluster, not per
// instance. Each check uses its own API key (x-api-key), so counts from one check never leak into the next.

const LIMIT = 10;
const WINDOW_MS = 10_000;
const PATH = '/api/quote';

/** A client nobody has used yet. */
const freshKey = (label) => `check-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** n requests for one client, all sent at once so they land inside one window. */
function burst(lab, key, n) {
  return Promise.all(Array.from({ length: n }, () => lab.request('GET', PATH, { headers: { 'x-api-key': key } })));
}

/** "A: 200×10, 429×7; B: …" — what each instance answered. */
function byInstance(responses) {
  const rows = new Map();
  for (const r of responses) {
    const row = rows.get(r.instance ?? 'none') ?? new Map();
    row.set(r.status || 'no answer', (row.get(r.status || 'no answer') ?? 0) + 1);
    rows.set(r.instance ?? 'none', row);
  }
  return [...rows].sort().map(([name, row]) => `${name}: ${[...row].map(([s, n]) => `${s}×${n}`).join(', ')}`).join('; ') || 'no responses';
}

/** Fail with a clear message if anything other than 200 and 429 came back. */
function assertOnly200And429(lab, responses) {
  const odd = responses.find((r) => r.status !== 200 && r.status !== 429);
  lab.assert(!odd, `Expected every answer to be 200 (served) or 429 (over the limit); observed ${odd?.status} from ${odd?.instance ?? 'no instance'}: ${odd?.body.trim().slice(0, 160)}`);
}

export default [
  {
    name: `A client under the limit gets every quote, from any instance`,
    async run(lab) {
      const key = freshKey('under');
      const answers = [];
      for (let i = 0; i < LIMIT; i++) answers.push(await lab.request('GET', PATH, { headers: { 'x-api-key': key } }));
      lab.assert(
        answers.every((r) => r.status === 200),
        `Expected ${LIMIT} requests from a new client to be served (200); observed ${byInstance(answers)}.`,
      );
      const served = new Set(answers.map((r) => r.instance));
      lab.assert(served.size >= 3, `Expected the ${LIMIT} requests to be spread over A, B and C; observed ${byInstance(answers)}.`);
    },
  },
  {
    name: `A limit of ${LIMIT} per window admits exactly ${LIMIT} requests across the whole cluster`,
    async run(lab) {
      const answers = await burst(lab, freshKey('burst'), 30);
      assertOnly200And429(lab, answers);
      const served = answers.filter((r) => r.status === 200).length;
      lab.assert(
        served === LIMIT,
        `Sent a burst of 30 requests from one client to 3 instances. Expected exactly ${LIMIT} served and 20 refused with 429; ` +
          `observed ${served} served (${byInstance(answers)})` +
          (served > LIMIT ? ` — each instance counted only the requests it saw.` : '.'),
      );
    },
  },
  {
    name: 'The limit stays the same after scaling out to five instances',
    timeoutMs: 20_000,
    async run(lab) {
      await lab.scale(5);
      await lab.waitForAllUp();
      const answers = await burst(lab, freshKey('scaled'), 50);
      assertOnly200And429(lab, answers);
      const served = answers.filter((r) => r.status === 200).length;
      lab.assert(
        served === LIMIT,
        `Sent a burst of 50 requests from one client to 5 instances. Expected exactly ${LIMIT} served; observed ${served} ` +
          `(${byInstance(answers)})${served > LIMIT ? ` — adding instances raised the limit to ${LIMIT} × 5.` : '.'}`,
      );
    },
  },
  {
    name: 'A client over the limit is served again once its window has passed',
    timeoutMs: 25_000,
    async run(lab) {
      const key = freshKey('window');
      const started = Date.now();
      await burst(lab, key, 30);
      // Poll until the client is served again; it must not happen long before the window ends, nor long after.
      let first;
      while (Date.now() - started < WINDOW_MS + 6000) {
        const r = await lab.request('GET', PATH, { headers: { 'x-api-key': key } });
        if (r.status === 200) { first = Date.now() - started; break; }
        lab.assert(r.status === 429, `While over the limit, expected 429; observed ${r.status} from ${r.instance ?? 'no instance'}: ${r.body.trim().slice(0, 160)}`);
        await lab.sleep(250);
      }
      lab.assert(
        first !== undefined,
        `After a burst of 30, expected the client to be served again about ${WINDOW_MS / 1000} s later, when its window ends; ` +
          `observed 429 for ${((Date.now() - started) / 1000).toFixed(1)} s. Does the count expire?`,
      );
      lab.assert(
        first >= WINDOW_MS - 2000,
        `After a burst of 30, expected the client to stay refused for its ${WINDOW_MS / 1000} s window; observed it served again after ` +
          `${(first / 1000).toFixed(1)} s.`,
      );
    },
  },
];
