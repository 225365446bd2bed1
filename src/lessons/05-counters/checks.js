// Checks for "Counters": a limit of 10 quotes per 3 s per client must hold for the whole cluster, not per instance.
// Each check uses its own API key (x-api-key), so counts from one check never leak into the next.
//
// Every usual window must pass: a fixed window that starts with the client's first request (the reference), a fixed
// window aligned to the clock (a key per Math.floor(now / 3000)), a sliding log, a Lua script. So the checks never
// depend on where a window starts: each burst is sent just after a multiple of 3 s on the clock, which puts it
// inside one clock-aligned window too; a burst must admit exactly the limit; and after the burst the client is
// probed twice, once while every kind of window still covers the burst (it must be refused) and once when every
// kind has passed (it must be served). No polling in between: a sliding log that also logs refused requests would
// keep a client that asks every 250 ms refused forever, and that is a fair way to count.

const LIMIT = 10;
const WINDOW_MS = 3000;
const PATH = '/api/quote';
/** A burst starts this long after a multiple of the window on the clock, so its requests arrive after the boundary. */
const AFTER_BOUNDARY_MS = 100;
/** A clock-aligned window ends WINDOW_MS - AFTER_BOUNDARY_MS after a burst starts; a burst must be over well before. */
const LATEST_MID_PROBE_MS = WINDOW_MS - 600;
/** The mid-window probe comes this long after the burst's last answer (within LATEST_MID_PROBE_MS of its start). */
const MID_PROBE_AFTER_MS = 900;
/** The last probe comes this long after the burst's last answer: every kind of window covering the burst is over. */
const AFTER_WINDOW_MS = WINDOW_MS + 400;

/** A client nobody has used yet. */
const freshKey = (lab, label) => `check-${label}-${Date.now().toString(36)}-${Math.floor(lab.random() * 36 ** 6).toString(36)}`;

/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** One request as the client with API key `key`; `via` pins it to an instance. */
const ask = (lab, key, via) => lab.request('GET', PATH, { headers: { 'x-api-key': key }, ...(via ? { via } : {}) });

/** Wait until just after a multiple of the window on the clock; returns that moment (ms since the epoch). */
async function nextBoundary(lab) {
  const now = Date.now();
  const into = now % WINDOW_MS;
  if (into >= AFTER_BOUNDARY_MS && into < AFTER_BOUNDARY_MS + 150) return now;
  const start = now - into + WINDOW_MS + AFTER_BOUNDARY_MS;
  await lab.sleep(start - now);
  return Date.now();
}

/**
 * n requests for one client, all sent at once just after a clock boundary of the window, so they land inside
 * one window whichever way it is counted. `end` is when the last answer came back.
 */
async function burst(lab, key, n) {
  const start = await nextBoundary(lab);
  const answers = await Promise.all(Array.from({ length: n }, () => ask(lab, key)));
  return { start, end: Date.now(), answers };
}

/** "A: 200×4, 429×6; B: …" — what each instance answered. */
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
  lab.assert(
    !odd,
    `Expected every answer to be 200 (served) or 429 (over the limit); observed ${odd?.status || 'no answer'} from ${odd?.instance ?? 'no instance'}: ${lab.excerpt(odd, 160)}`,
    odd,
  );
}

/** Why a burst let more than LIMIT through. */
function whyTooMany(served) {
  if (served.length <= LIMIT) return '.';
  return ' — the requests did not all update one count. Either each instance counts only what it sees (a Map, a key naming the instance), ' +
    'or requests arriving together read the same count before any of them wrote it back (GET then SET). Keep one count per client in Redis ' +
    'and update it in one atomic step: INCR, a MULTI, or a Lua script.';
}

/**
 * A burst of n from a fresh client must admit exactly LIMIT. A burst the machine was too busy to deliver inside
 * one window (it ended after the next clock boundary) proves nothing about a clock-aligned window, so it is sent
 * once more with another client.
 */
async function burstAdmitsLimit(lab, n, label, context) {
  for (let attempt = 1; ; attempt++) {
    const sent = await burst(lab, freshKey(lab, label), n);
    assertOnly200And429(lab, sent.answers);
    const served = sent.answers.filter((r) => r.status === 200);
    const tooSlow = sent.end - sent.start > WINDOW_MS - AFTER_BOUNDARY_MS - 100;
    if (served.length !== LIMIT && tooSlow && attempt < 2) continue;
    const evidence = served.length > LIMIT ? served.at(-1) : sent.answers.find((r) => r.status === 429);
    lab.assert(served.length === LIMIT, `${context} Expected exactly ${LIMIT} served (200) and ${n - LIMIT} refused (429); observed ${served.length} served (${byInstance(sent.answers)})${whyTooMany(served)}`, evidence);
    return sent;
  }
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: `A client under the limit gets every quote, from any instance`,
    async run(lab) {
      const key = freshKey(lab, 'under');
      const up = lab.upInstances();
      const answers = [];
      // Pinned in turn to every instance, starting at a seeded one: ten requests, each instance serves some.
      const first = Math.floor(lab.random() * up.length);
      for (let i = 0; i < LIMIT; i++) answers.push(await ask(lab, key, up[(first + i) % up.length]));
      const refused = answers.find((r) => r.status !== 200);
      lab.assert(
        !refused,
        `Expected ${LIMIT} requests from a new client, one after another, to be served (200); observed ${byInstance(answers)}.`,
        refused,
      );
    },
  },
  {
    name: `A limit of ${LIMIT} per window admits exactly ${LIMIT} requests across the whole cluster`,
    async run(lab) {
      await burstAdmitsLimit(lab, 30, 'burst', `Sent a burst of 30 requests from one new client to ${lab.upInstances().length} instances at once.`);
    },
  },
  {
    name: 'The limit stays the same after scaling out to five instances',
    timeoutMs: 25_000,
    async run(lab) {
      await lab.scale(5);
      await lab.waitForAllUp();
      await burstAdmitsLimit(lab, 50, 'scaled', 'Scaled out to 5 instances, then sent a burst of 50 requests from one new client at once.');
    },
  },
  {
    name: 'Rate-limit counts kept in Redis expire on their own',
    async run(lab) {
      const key = freshKey(lab, 'ttl');
      const answer = await ask(lab, key);
      lab.assert(answer.status === 200, `Expected the first request of a new client to be served (200); observed ${answer.status || 'no answer'}: ${lab.excerpt(answer.body, 160)}`, answer);
      const redis = await lab.redis();
      // Only keys named after this client: a count stored under a hash of the key cannot be found, and is not judged.
      const keys = await redis.keys(`*${key}*`);
      for (const found of keys) {
        const ttl = await redis.pttl(found);
        if (ttl === -2) continue; // expired between the two calls: a window aligned to the clock may end any moment
        lab.assert(
          ttl > 0,
          `Expected the Redis key "${found}", which holds this client's count, to have an expiry (a positive TTL), so that old windows do not pile up in Redis; ` +
            `observed ${ttl === -1 ? 'no expiry: the key stays forever' : `TTL ${ttl}`}.`,
          answer,
        );
      }
    },
  },
  {
    name: 'A client over the limit is refused for the rest of its window, then served again',
    timeoutMs: 25_000,
    async run(lab) {
      for (let attempt = 1; ; attempt++) {
        const key = freshKey(lab, 'window');
        const sent = await burst(lab, key, 30);
        assertOnly200And429(lab, sent.answers);
        const admitted = sent.answers.filter((r) => r.status === 200);
        lab.assert(
          admitted.length <= LIMIT,
          `Sent a burst of 30 from one new client. Expected at most ${LIMIT} served; observed ${admitted.length} (${byInstance(sent.answers)})${whyTooMany(admitted)}`,
          admitted.at(-1),
        );
        // The mid-window probe must come while every kind of window still covers the burst: before the next clock
        // boundary. On a machine so busy that the burst itself took most of the window, try once more.
        const midAt = sent.end + MID_PROBE_AFTER_MS;
        if (midAt - sent.start > LATEST_MID_PROBE_MS && attempt < 2) continue;
        await lab.sleep(Math.max(0, Math.min(midAt, sent.start + LATEST_MID_PROBE_MS) - Date.now()));
        const mid = await ask(lab, key, lab.pick(lab.upInstances()));
        lab.assert(
          mid.status === 429,
          `The client sent 30 requests at once ${seconds(Date.now() - sent.start)} ago, all inside one ${WINDOW_MS / 1000} s window, and ${admitted.length} were served. ` +
            `Expected its next request (through ${mid.instance ?? 'no instance'}) to be refused with 429 until that window ends; observed ${mid.status || 'no answer'}` +
            (mid.status === 200
              ? '. The limit is at most 10 per window: a window that refills while it runs (a token bucket, a count that drops early) serves more than that.'
              : `: ${lab.excerpt(mid.body, 160)}`),
          mid,
        );
        await lab.sleep(Math.max(0, sent.end + AFTER_WINDOW_MS - Date.now()));
        const after = await ask(lab, key, lab.pick(lab.upInstances()));
        lab.assert(
          after.status === 200,
          `The client's burst ended ${seconds(Date.now() - sent.end)} ago and it asked once since, so every ${WINDOW_MS / 1000} s window that held the burst ` +
            `(from its first request, aligned to the clock, or sliding) is over. Expected it to be served again (200, through ${after.instance ?? 'no instance'}); ` +
            `observed ${after.status || 'no answer'}` +
            (after.status === 429 ? '. Does the count expire, and is its expiry set once per window rather than pushed back by every request?' : `: ${lab.excerpt(after.body, 160)}`),
          after,
        );
        return;
      }
    },
  },
];
