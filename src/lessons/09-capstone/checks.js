// Checks for the capstone. Quick checks first, one per kind of state (sessions with the shared session probes,
// the quote limit, the chat), then one chaos drill under steady traffic: kills timed right after a chat burst,
// scaling 2 → 10 → 3 and a rolling deploy. The drill runs once; its three checks report on it.

/** @typedef {import('../../../playground/lab/check-api.js').LabResponse} LabResponse */
/** @typedef {import('../../../playground/lab/check-api.js').LabSocket} LabSocket */

/** How the lab reports an instance that only ran out of start-up time (busy or not yet listening), as on a loaded machine. */
const SLOW_START = /did not listen on process\.env\.PORT \(\d+\) within|still busy after/;

const LIMIT = 10; // quotes per client per minute, as the lesson states
const SETTLE_MS = 300; // a chat connection is owed messages sent from this long after it was announced…
const GRACE_MS = 1000; // …while it stays open this long after the sender's message was confirmed
const CHATTERS = ['eve', 'fay', 'gus', 'hal', 'ivy'];
const NEWCOMERS = ['jon', 'kim', 'lou', 'max'];

const freshName = (lab, prefix) => `${prefix}-${Math.floor(lab.random() * 1e9)}`;
const secondsSince = (start, at) => `${((at - start) / 1000).toFixed(1)} s`;

/** 3 × LIMIT quote requests at once for a new client: exactly LIMIT must be admitted. */
async function burst(lab, phase) {
  const client = freshName(lab, 'client');
  const answers = await Promise.all(Array.from({ length: 3 * LIMIT }, () => lab.request('GET', `/api/quote?client=${client}`)));
  const admitted = answers.filter((a) => a.status === 200);
  const other = answers.filter((a) => a.status !== 200 && a.status !== 429);
  return {
    phase,
    admitted: admitted.length,
    refused: answers.filter((a) => a.status === 429).length,
    other: other.map((a) => a.status),
    instances: new Set(admitted.map((a) => a.instance)).size,
    // The answer that shows what went wrong: one admitted too many, else one refused or failed.
    evidence: admitted.length > LIMIT ? admitted.at(-1) : (other[0] ?? answers.find((a) => a.status === 429)),
  };
}

const describeBurst = (b) =>
  `${b.phase}: ${b.admitted} admitted${b.instances > 1 ? ` by ${b.instances} instances` : ''}, ${b.refused} refused` + (b.other.length ? `, ${b.other.length} other (${[...new Set(b.other)].join(', ')})` : '');

/**
 * Bring every instance up, starting again (once) any that only timed out while starting: a loaded machine can be
 * slow to boot ten Node processes, and that is not the learner's bug. A crash of any other kind fails.
 */
async function allUp(lab, timeoutMs) {
  for (let round = 0; ; round++) {
    try {
      await lab.waitForAllUp(timeoutMs);
      return;
    } catch (error) {
      const crashed = lab.instances().filter((i) => i.state === 'crashed');
      const slow = crashed.filter((i) => SLOW_START.test(i.reason ?? ''));
      if (round >= 2 || slow.length === 0 || slow.length < crashed.length) throw error;
      for (const instance of slow) await lab.start(instance.name);
    }
  }
}

/**
 * Steady logged-in traffic, as `lab.traffic` but keeping the answer that showed each problem. A visit after an
 * accepted login that does not name the user is a logout (the user logs in again and carries on).
 */
function startTraffic(lab, names, pauseMs) {
  /** @type {{ visits: number, loggedIn: number, logins: number, logouts: { user: string, instance: string | null, status: number, afterMs: number, sentCookie: boolean }[], errors: { user: string, action: string, status: number, instance: string | null }[], evidence: LabResponse | undefined, last: LabResponse | undefined }} */
  const report = { visits: 0, loggedIn: 0, logins: 0, logouts: [], errors: [], evidence: undefined, last: undefined };
  let running = true;
  const loops = names.map(async (name) => {
    const user = lab.user(name);
    let loginAt = 0;
    while (running && !lab.signal.aborted) {
      if (!loginAt) {
        const login = (report.last = await user.login());
        report.logins++;
        if (login.loggedIn) loginAt = Date.now();
        else report.errors.push({ user: name, action: 'login', status: login.status, instance: login.instance });
      } else {
        const visit = (report.last = await user.visit());
        report.visits++;
        if (visit.loggedIn) report.loggedIn++;
        else if (visit.loggedOut) {
          const sentCookie = Boolean(visit.request.headers.cookie);
          report.logouts.push({ user: name, instance: visit.instance, status: visit.status, afterMs: Date.now() - loginAt, sentCookie });
          report.evidence ??= visit;
          loginAt = 0;
        } else report.errors.push({ user: name, action: 'visit', status: visit.status, instance: visit.instance });
      }
      await lab.sleep(pauseMs);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}

/**
 * Chatters in one room, each sending a numbered message every 200 ms while connected and waiting for the
 * server's confirmation (the ack) before the next. `burst()` makes every connected chatter send at once; `add()`
 * brings in someone new. What counts as lost is decided at the end, from what each client received (judge()).
 */
async function startChat(lab, names) {
  const room = freshName(lab, 'drill');
  const chatters = [];
  const sent = [];
  let running = true;
  let seq = 0;

  async function say(chatter, kind) {
    const entry = { text: `${kind} ${++seq}`, from: chatter.user, n: ++chatter.said, via: chatter.socket.instance, t0: Date.now(), t1: 0 };
    sent.push(entry);
    if (await chatter.socket.request('say', [entry.text], 2000)) entry.t1 = Date.now();
    return entry;
  }

  /** Sleep `ms`, or less when a burst is asked for. */
  function nap(chatter, ms) {
    return /** @type {Promise<void>} */ (new Promise((resolve) => {
      const timer = setTimeout(() => { chatter.wake = null; resolve(); }, ms);
      chatter.wake = () => { clearTimeout(timer); chatter.wake = null; resolve(); };
    }));
  }

  async function loop(chatter) {
    while (running && !lab.signal.aborted) {
      const wanted = chatter.burst;
      chatter.burst = null;
      if (chatter.socket.connected) {
        const entry = await say(chatter, wanted ? 'burst' : 'drill');
        wanted?.(entry);
      } else wanted?.(null);
      if (!chatter.burst) await nap(chatter, 200);
    }
    chatter.burst?.(null);
  }

  async function add(user) {
    const chatter = { user, socket: await lab.socket({ auth: { user, room } }), said: 0, burst: null, wake: null };
    chatters.push(chatter);
    chatter.done = loop(chatter);
    return chatter;
  }

  for (const user of names) await add(user);
  return {
    chatters,
    add,
    /** Every connected chatter sends now: for each, the instance it sends through and when its message is confirmed (or not). */
    burst() {
      return chatters.map((chatter) => {
        const instance = chatter.socket.instance;
        const done = new Promise((resolve) => { chatter.burst = resolve; });
        chatter.wake?.();
        return { chatter, instance, done };
      });
    },
    async stop() {
      running = false;
      for (const chatter of chatters) chatter.wake?.();
      await Promise.all(chatters.map((c) => c.done));
      await lab.sleep(GRACE_MS + 100);
      return judge(chatters, sent);
    },
  };
}

/**
 * A confirmed message is owed to every other chatter, on each of their connections that was announced at least
 * SETTLE_MS before it was sent and then either stayed open until GRACE_MS after it was confirmed, or received a
 * later message from the same sender (a sender waits for each confirmation before sending again, and Redis
 * delivers in order, so a later one arriving means this one should have arrived too).
 */
function judge(chatters, sent) {
  const byText = new Map(sent.map((m) => [m.text, m]));
  const confirmed = sent.filter((m) => m.t1);
  const receivers = chatters.map((chatter) => {
    const connections = chatter.socket.connections;
    const got = new Set();
    // For each connection, the newest message number received from each sender.
    const newest = connections.map(() => new Map());
    for (const r of chatter.socket.received) {
      if (r.event !== 'message') continue;
      const message = byText.get(r.args[0]?.text);
      if (!message) continue;
      got.add(message.text);
      let index = -1;
      for (let i = 0; i < connections.length; i++) if ((connections[i]?.readyAt ?? Infinity) <= r.at) index = i;
      const map = newest[index];
      if (map && (map.get(message.from) ?? 0) < message.n) map.set(message.from, message.n);
    }
    return { chatter, connections, got, newest };
  });
  let owed = 0;
  const lost = [];
  for (const message of confirmed) {
    for (const { chatter, connections, got, newest } of receivers) {
      if (chatter.user === message.from) continue;
      const index = connections.findIndex(
        (c, i) =>
          c.readyAt <= message.t0 - SETTLE_MS &&
          (c.closedAt === null || c.closedAt >= message.t1 + GRACE_MS || (newest[i]?.get(message.from) ?? 0) > message.n),
      );
      if (index < 0) continue;
      owed++;
      message.owed = (message.owed ?? 0) + 1;
      if (!got.has(message.text)) lost.push({ message, to: chatter.user, on: connections[index]?.instance });
    }
  }
  const reconnects = chatters.reduce((n, c) => n + c.socket.connections.length - 1, 0);
  return { sent: sent.length, confirmed, owed, lost, reconnects, chatters: chatters.length };
}

/** The drill itself: returns what the traffic, the chat and the rate limit observed. */
async function chaos(lab) {
  const began = Date.now();
  const steps = [];
  /** Moments around which chat deliveries matter most: kills and the deploy. */
  const events = [];
  const step = (text) => steps.push(`${text} (${secondsSince(began, Date.now())})`);
  // The balancer sends each new connection to the instance with the fewest open: clients that reconnect after a
  // kill or during the deploy, and newcomers, land on instances that have only just started.
  lab.strategy('least-connections');
  const traffic = startTraffic(lab, ['ann', 'ben', 'cat', 'dan'], 40);
  const chat = await startChat(lab, CHATTERS);
  const newcomers = [...NEWCOMERS];
  const bursts = [];
  let visits;
  let messages;
  try {
    await lab.sleep(700);
    /** Every chatter speaks at once; as soon as those on the victim are confirmed, the victim is killed. */
    const killAfterBurst = async () => {
      const held = [...new Set(chat.chatters.filter((c) => c.socket.connected).map((c) => c.socket.instance))].filter((i) => lab.upInstances().includes(i));
      const victim = lab.pick(held.length ? held : lab.upInstances());
      await Promise.all(chat.burst().filter((s) => s.instance === victim).map((s) => s.done));
      events.push(Date.now());
      await lab.kill(victim);
      step(`killed ${victim} right after a chat burst`);
      await lab.sleep(600);
      await lab.start(victim);
      await allUp(lab, 8000);
      step(`started ${victim} again`);
      // Someone joins the chat: the least-connections balancer puts them on the instance that just came back.
      const name = newcomers.shift();
      if (name) {
        const joined = await chat.add(name);
        step(`${name} joined on ${joined.socket.instance}`);
      }
    };
    await killAfterBurst();
    await lab.scale(2);
    step('scaled to 2');
    bursts.push(await burst(lab, 'at 2 instances'));
    await killAfterBurst();
    // Straight from 2 to 10 (the supervisor boots new instances a few at a time, so a small machine keeps up).
    await lab.scale(10);
    await allUp(lab, 15_000);
    step('scaled to 10');
    for (const name of newcomers.splice(0, 2)) await chat.add(name);
    await lab.sleep(400);
    bursts.push(await burst(lab, 'at 10 instances'));
    await lab.scale(3);
    step('scaled to 3');
    events.push(Date.now());
    chat.burst();
    try {
      await lab.deploy();
    } catch (error) {
      // Once more when a successor only timed out while starting on a loaded machine; the deploy is the point.
      if (!SLOW_START.test(/** @type {Error} */ (error).message)) throw error;
      step('deploy retried after a slow start');
      await lab.deploy();
    }
    events.push(Date.now());
    step('rolled a deploy');
    bursts.push(await burst(lab, 'after the deploy'));
    // Keep going: the instances the deploy started last are judged with everyone else settled around them.
    await lab.sleep(1500);
  } finally {
    visits = await traffic.stop();
    messages = await chat.stop();
  }
  const around = (m) => events.some((at) => m.t1 >= at - 2000 && m.t0 <= at + 2000);
  messages.owedAround = messages.confirmed.filter(around).reduce((n, m) => n + (m.owed ?? 0), 0);
  messages.lostAround = messages.lost.filter((l) => around(l.message)).length;
  return { steps: steps.join(', '), began, visits, messages, bursts, evidence: visits.last };
}

/** One drill per grading run, shared by the three drill checks. */
let drill;
function runDrill(lab) {
  drill ??= chaos(lab).then(
    (result) => ({ ok: true, ...result }),
    (error) => ({ ok: false, error, evidence: lab.lastResponse }),
  );
  return drill;
}

async function drillResult(lab) {
  const result = await runDrill(lab);
  if (!result.ok) {
    lab.fail(`The chaos drill could not finish, so there is nothing to judge; observed: ${result.error?.message ?? result.error}`, result.evidence);
  }
  return result;
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'A login holds on every instance',
    async run(lab) {
      const { user } = await lab.sessions.loginEverywhere('alice');
      await lab.sessions.forgedCookiesRefused(user);
    },
  },
  {
    name: 'A logout holds on every instance',
    async run(lab) {
      const { user } = await lab.sessions.loginEverywhere('bob');
      await lab.sessions.logoutEverywhere(user);
    },
  },
  {
    name: 'Sessions live in Redis and expire',
    async run(lab) {
      const { user } = await lab.sessions.loginEverywhere('carol');
      await lab.sessions.sessionExpires(user);
      // A session that only looks stored: the cookie, not Redis, would be what logs Carol in.
      await lab.sessions.forgedCookiesRefused(user);
    },
  },
  {
    name: `The quote limit is global: ${LIMIT} of ${3 * LIMIT} calls admitted`,
    async run(lab) {
      const b = await burst(lab, `${3 * LIMIT} calls at once through 3 instances`);
      lab.assert(b.admitted === LIMIT, `Expected exactly ${LIMIT} quotes admitted (200) and the rest refused (429); observed ${describeBurst(b)}.`, b.evidence);
    },
  },
  {
    name: 'Chat messages reach people on other instances',
    async run(lab) {
      const room = freshName(lab, 'room');
      const alice = await lab.socket({ auth: { user: 'alice', room } });
      let bob;
      for (let attempt = 0; attempt < 6 && !bob; attempt++) {
        const candidate = await lab.socket({ auth: { user: 'bob', room } });
        if (candidate.instance !== alice.instance) bob = candidate;
        else candidate.close();
      }
      lab.assert(bob, `Expected Bob to connect to another instance than Alice's ${alice.instance}; observed every attempt landing there.`);
      const ack = await alice.request('say', ['hello from Alice']);
      lab.assert(ack, `Expected the app to confirm Alice's "say" (call the acknowledgement); observed no answer from ${alice.instance}.`);
      const heard = await /** @type {LabSocket} */ (bob).next('message', (m) => m?.text === 'hello from Alice');
      lab.assert(heard, `Alice is on ${alice.instance}, Bob on ${/** @type {LabSocket} */ (bob).instance}, same room. Expected Bob to receive Alice's message within 2 s; observed nothing arriving.`);
    },
  },
  {
    name: 'Chaos drill: nobody is logged out',
    timeoutMs: 75_000,
    async run(lab) {
      const { visits, steps } = await drillResult(lab);
      lab.assert(visits.visits >= 50, `Expected steady traffic during the drill (at least 50 visits); observed ${visits.visits}.`, visits.last);
      const who = [...new Set(visits.logouts.map((l) => `${l.user} on ${l.instance}`))].slice(0, 4).join(', ');
      const cookieless = visits.logouts.filter((l) => !l.sentCookie);
      const why = cookieless.length
        ? ` ${cookieless.length} of them sent no session cookie at all: the browser had dropped it, as it does when its Max-Age or Expires passes (the first after ${(Math.min(...cookieless.map((l) => l.afterMs)) / 1000).toFixed(1)} s logged in). express-session's cookie.maxAge is in milliseconds.`
        : '';
      lab.assert(
        visits.logouts.length === 0,
        `Drill: ${steps}. Expected 0 logouts in ${visits.visits} visits by 4 logged-in users; observed ${visits.logouts.length} (${who}${visits.logouts.length > 4 ? ', …' : ''}).${why}`,
        visits.evidence,
      );
    },
  },
  {
    name: 'Chaos drill: no chat message is lost',
    timeoutMs: 75_000,
    async run(lab) {
      const { messages, steps, began, evidence } = await drillResult(lab);
      lab.assert(
        messages.owed >= 100,
        `Expected chat traffic during the drill (at least 100 deliveries owed); observed ${messages.owed} from ${messages.confirmed.length} confirmed of ${messages.sent} messages sent.`,
        evidence,
      );
      lab.assert(
        messages.owedAround >= 10,
        `Expected chat traffic around the kills and the deploy (at least 10 deliveries owed within 2 s of them); observed ${messages.owedAround}.`,
        evidence,
      );
      const example = (l) => `${l.message.from} via ${l.message.via} → ${l.to} on ${l.on}: "${l.message.text}" at ${secondsSince(began, l.message.t0)}`;
      lab.assert(
        messages.lost.length === 0,
        `Drill: ${steps}. ${messages.chatters} chatters sent ${messages.confirmed.length} confirmed messages (${messages.reconnects} reconnections after kills, scaling and the deploy). ` +
          `Expected every message to reach everyone connected from ${SETTLE_MS} ms before it was sent until ${GRACE_MS} ms after it was confirmed, or until a later message from the same sender arrived ` +
          `(${messages.owed} deliveries, ${messages.owedAround} of them around the kills and the deploy); observed ${messages.lost.length} missing (${messages.lostAround} around the kills and the deploy), ` +
          `e.g. ${messages.lost.slice(0, 3).map(example).join('; ')}.`,
        evidence,
      );
    },
  },
  {
    name: 'Chaos drill: the quote limit stays global at 2, 10 and 3 instances',
    timeoutMs: 75_000,
    async run(lab) {
      const { bursts, evidence } = await drillResult(lab);
      const wrong = bursts.filter((b) => b.admitted !== LIMIT);
      lab.assert(
        wrong.length === 0,
        `Each burst sent ${3 * LIMIT} calls at once for a new client. Expected exactly ${LIMIT} admitted every time; observed ${bursts.map(describeBurst).join('; ')}.`,
        wrong[0]?.evidence ?? evidence,
      );
    },
  },
];
