// Checks for the capstone. Three quick checks, one per kind of state, then a chaos drill under steady traffic:
// random kills, scaling 2 → 10 → 3 and a rolling deploy. The drill runs once; its three checks report on it.

const LIMIT = 10; // quotes per client per minute, as the lesson states
const SETTLE_MS = 300; // a chat connection counts from this long after it was announced…
const GRACE_MS = 1000; // …and must stay open this long after the sender's message was confirmed

const freshName = (lab, prefix) => `${prefix}-${Math.floor(lab.random() * 1e9)}`;

/** 3 × LIMIT quote requests at once for a new client: exactly LIMIT must be admitted. */
async function burst(lab, phase) {
  const client = freshName(lab, 'client');
  const answers = await Promise.all(Array.from({ length: 3 * LIMIT }, () => lab.request('GET', `/api/quote?client=${client}`)));
  const admitted = answers.filter((a) => a.status === 200);
  return {
    phase,
    admitted: admitted.length,
    refused: answers.filter((a) => a.status === 429).length,
    other: answers.filter((a) => a.status !== 200 && a.status !== 429).map((a) => a.status),
    instances: new Set(admitted.map((a) => a.instance)).size,
  };
}

const describeBurst = (b) =>
  `${b.phase}: ${b.admitted} admitted${b.instances > 1 ? ` by ${b.instances} instances` : ''}, ${b.refused} refused` + (b.other.length ? `, ${b.other.length} other (${[...new Set(b.other)].join(', ')})` : '');

/**
 * Chatters in one room, each sending a numbered message every 200 ms while connected. A message counts once the
 * server has confirmed it (the ack). It must reach every other chatter whose connection was announced at least
 * SETTLE_MS before it was sent and stayed open until GRACE_MS after the confirmation. Clients whose instance dies
 * reconnect by themselves; while they are away, they are not owed anything.
 */
async function startChat(lab, names) {
  const room = freshName(lab, 'drill');
  const clients = [];
  for (const user of names) clients.push({ user, socket: await lab.socket({ auth: { user, room } }) });
  const sent = [];
  let running = true;
  let seq = 0;
  const loops = clients.map(async (sender) => {
    while (running && !lab.signal.aborted) {
      if (sender.socket.connected) {
        const entry = { text: `drill ${++seq}`, from: sender.user, via: sender.socket.instance, t0: Date.now(), t1: 0 };
        sent.push(entry);
        if (await sender.socket.request('say', [entry.text], 2000)) entry.t1 = Date.now();
      }
      await lab.sleep(200);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      await lab.sleep(GRACE_MS + 100);
      const confirmed = sent.filter((m) => m.t1);
      let owed = 0;
      const lost = [];
      for (const message of confirmed) {
        for (const receiver of clients) {
          if (receiver.user === message.from) continue;
          const present = receiver.socket.connections.find(
            (c) => c.readyAt <= message.t0 - SETTLE_MS && (c.closedAt === null || c.closedAt >= message.t1 + GRACE_MS),
          );
          if (!present) continue;
          owed++;
          if (!receiver.socket.received.some((r) => r.event === 'message' && r.args[0]?.text === message.text)) {
            lost.push(`${message.from} (via ${message.via}) → ${receiver.user} (on ${present.instance}): "${message.text}"`);
          }
        }
      }
      const reconnects = clients.reduce((n, c) => n + c.socket.connections.length - 1, 0);
      return { sent: sent.length, confirmed: confirmed.length, owed, lost, reconnects };
    },
  };
}

/** The drill itself: returns what the traffic, the chat and the rate limit observed. */
async function chaos(lab) {
  const steps = [];
  const began = Date.now();
  const step = (text) => steps.push(`${text} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
  const traffic = lab.traffic({ users: ['ann', 'ben', 'cat', 'dan'], pauseMs: 40 });
  const chat = await startChat(lab, ['eve', 'fay', 'gus', 'hal']);
  const bursts = [];
  let visits;
  let messages;
  try {
    await lab.sleep(500);
    const killAndRevive = async () => {
      const victim = lab.pick(lab.upInstances());
      await lab.kill(victim);
      step(`killed ${victim}`);
      await lab.sleep(600);
      await lab.start(victim);
      await lab.waitForAllUp(8000);
      step(`started ${victim} again`);
    };
    await killAndRevive();
    await lab.scale(2);
    step('scaled to 2');
    bursts.push(await burst(lab, 'at 2 instances'));
    await killAndRevive();
    // Straight from 2 to 10 (the supervisor boots new instances a few at a time, so a small machine keeps up).
    await lab.scale(10);
    await lab.waitForAllUp(15_000);
    step('scaled to 10');
    await lab.sleep(400);
    bursts.push(await burst(lab, 'at 10 instances'));
    await lab.scale(3);
    step('scaled to 3');
    await lab.deploy();
    step('rolled a deploy');
    bursts.push(await burst(lab, 'after the deploy'));
    await lab.sleep(500);
  } finally {
    visits = await traffic.stop();
    messages = await chat.stop();
  }
  return { steps: `${steps.join(', ')} [LAB_SEED=${lab.seed} replays these choices]`, visits, messages, bursts };
}

/** One drill per grading run, shared by the three drill checks. */
let drill;
function runDrill(lab) {
  drill ??= chaos(lab).then(
    (result) => ({ ok: true, ...result }),
    (error) => ({ ok: false, error }),
  );
  return drill;
}

async function drillResult(lab) {
  const result = await runDrill(lab);
  if (!result.ok) {
    lab.fail(`The chaos drill could not finish, so there is nothing to judge; observed: ${result.error?.message ?? result.error}`);
  }
  return result;
}

export default [
  {
    name: 'A login holds on every instance',
    async run(lab) {
      const alice = lab.user('alice');
      const login = await alice.login();
      lab.assert(login.status === 200, `Expected POST /login to answer 200; observed ${login.status}: ${login.body.trim().slice(0, 160)}`);
      const visits = await lab.visits(alice, 6);
      lab.assert(visits.every((v) => v.status === 200), `Alice logged in on ${login.instance}. Expected 6 of 6 visits logged in; observed ${lab.tally(visits)}.`);
    },
  },
  {
    name: `The quote limit is global: ${LIMIT} of ${3 * LIMIT} calls admitted`,
    async run(lab) {
      const b = await burst(lab, `${3 * LIMIT} calls at once through 3 instances`);
      lab.assert(b.admitted === LIMIT, `Expected exactly ${LIMIT} quotes admitted (200) and the rest refused (429); observed ${describeBurst(b)}.`);
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
      const heard = await bob.next('message', (m) => m?.text === 'hello from Alice');
      lab.assert(heard, `Alice is on ${alice.instance}, Bob on ${bob.instance}, same room. Expected Bob to receive Alice's message within 2 s; observed nothing arriving.`);
    },
  },
  {
    name: 'Chaos drill: nobody is logged out',
    timeoutMs: 60_000,
    async run(lab) {
      const { visits, steps } = await drillResult(lab);
      lab.assert(visits.visits >= 50, `Expected steady traffic during the drill (at least 50 visits); observed ${visits.visits}.`);
      const who = [...new Set(visits.logouts.map((l) => `${l.user} on ${l.instance}`))].slice(0, 4).join(', ');
      lab.assert(
        visits.logouts.length === 0,
        `Drill: ${steps}. Expected 0 logouts in ${visits.visits} visits by 4 logged-in users; observed ${visits.logouts.length} (${who}…).`,
      );
    },
  },
  {
    name: 'Chaos drill: no chat message is lost',
    timeoutMs: 60_000,
    async run(lab) {
      const { messages, steps } = await drillResult(lab);
      lab.assert(messages.owed >= 100, `Expected chat traffic during the drill (at least 100 deliveries owed); observed ${messages.owed} from ${messages.confirmed} confirmed messages.`);
      lab.assert(
        messages.lost.length === 0,
        `Drill: ${steps}. 4 chatters sent ${messages.confirmed} confirmed messages (${messages.reconnects} reconnections after kills). ` +
          `Expected every message to reach everyone connected from ${SETTLE_MS} ms before it was sent until ${GRACE_MS} ms after it was confirmed (${messages.owed} deliveries); ` +
          `observed ${messages.lost.length} missing, e.g. ${messages.lost.slice(0, 3).join('; ')}.`,
      );
    },
  },
  {
    name: 'Chaos drill: the quote limit stays global at 2, 10 and 3 instances',
    timeoutMs: 60_000,
    async run(lab) {
      const { bursts } = await drillResult(lab);
      const wrong = bursts.filter((b) => b.admitted !== LIMIT);
      lab.assert(
        wrong.length === 0,
        `Each burst sent ${3 * LIMIT} calls at once for a new client. Expected exactly ${LIMIT} admitted every time; observed ${bursts.map(describeBurst).join('; ')}.`,
      );
    },
  },
];
