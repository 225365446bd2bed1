// Checks for "WebSockets live in one process". Clients connect through the balancer over WebSocket only, so each
// connection stays on one instance; the app names that instance in its "welcome" event. Every chat check judges
// the clients by what they receive; HTTP requests that must reach one instance are pinned to it with `via`.

/** A room name no other check uses. */
const freshRoom = (lab, prefix) => `${prefix}-${Math.floor(lab.random() * 1e6)}`;


/**
 * Connect one client per name, each on a different instance (with round-robin they spread by themselves; a client
 * that lands where another already is tries again).
 */
async function spread(lab, names, room) {
  const clients = [];
  for (const user of names) {
    let client;
    for (let attempt = 0; attempt < 6; attempt++) {
      client = await lab.socket({ auth: { user, room } });
      if (!clients.some((c) => c.instance === client.instance)) break;
      client.close();
      client = undefined;
    }
    lab.assert(client, `Expected ${user} to get a connection on an instance nobody else in the test uses; observed every attempt landing on ${clients.map((c) => c.instance).join(', ')}.${trouble(lab)}`);
    clients.push(client);
  }
  return clients;
}

/** A client on `instance`, or on an instance other than all of `avoid` (up to 8 attempts). */
async function connectWhere(lab, auth, accept) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const client = await lab.socket({ auth });
    if (accept(client.instance)) return client;
    client.close();
  }
  return undefined;
}

const who = (client) => client.raw.auth.user;

/** " Meanwhile B crashed (…)." when an instance is not up, so a message about sockets says why they moved. */
function trouble(lab) {
  const down = lab.instances().filter((i) => i.state !== 'up');
  return down.length ? ` Meanwhile ${down.map((i) => `${i.name} ${i.state}${i.reason ? ` (${i.reason})` : ''}`).join('; ')}.` : '';
}
const where = (clients) => clients.map((c) => `${who(c)} on ${c.connections[0]?.instance ?? c.instance}`).join(', ');
const got = (client, text) => client.messages('message').some((m) => m?.text === text);

/**
 * GET /online?room= pinned to each of `instances`. An answer other than 200 counts nobody: right after a crash the
 * survivors may take a moment (socket.io's fetchSockets waits for the dead instance until its own timeout), and
 * settleCount keeps asking until its deadline.
 */
async function countEverywhere(lab, room, instances) {
  const answers = [];
  for (const instance of instances) {
    const res = await lab.request('GET', `/online?room=${encodeURIComponent(room)}`, { via: instance });
    answers.push({ instance, online: res.status === 200 ? res.json?.online : undefined, res });
  }
  return answers;
}
const show = (lab, answers) =>
  answers.map((a) => (a.res.status === 200 ? `${a.instance} said ${JSON.stringify(a.online)}` : `${a.instance} answered ${lab.describe(a.res)}`)).join(', ');

/**
 * Ask every instance in `instances` until each counts `expected`, for up to `timeoutMs`. Returns the last answers
 * and whether they settled.
 */
async function settleCount(lab, room, instances, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = [];
  for (;;) {
    last = await countEverywhere(lab, room, instances);
    if (last.every((a) => a.online === expected)) return { settled: true, last };
    if (Date.now() > deadline) return { settled: false, last };
    await lab.sleep(200);
  }
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'Alice on one instance and Bob on another chat in the same room',
    async run(lab) {
      const room = freshRoom(lab, 'room');
      const [alice, bob] = await spread(lab, ['alice', 'bob'], room);
      // Said again every second for up to 5 s: an instance is up once it listens, and its adapter's Redis
      // subscription may come a moment later; a broadcast published before it is gone (pub/sub keeps nothing), as it
      // would be in production, so the first words of a fresh cluster are not the test. Bob hearing any one counts.
      let heard;
      for (let attempt = 0; attempt < 5 && !heard; attempt++) {
        alice.raw.emit('say', 'hi Bob');
        heard = await bob.next('message', (m) => m?.text === 'hi Bob', 1000);
      }
      lab.assert(
        heard,
        `Alice is connected to instance ${alice.instance}, Bob to instance ${bob.instance}, both in room "${room}". ` +
          `Expected Bob to receive Alice's "hi Bob" (said five times, a second apart); observed nothing arriving` +
          (got(alice, 'hi Bob') ? `, while Alice herself got it back from ${alice.instance}: the broadcast never left her instance.` : '.') +
          trouble(lab),
      );
      bob.raw.emit('say', 'hi Alice');
      const back = await alice.next('message', (m) => m?.text === 'hi Alice', 5000);
      lab.assert(back, `Expected Alice (on ${alice.instance}) to receive Bob's reply from ${bob.instance} within 5 s; observed nothing arriving.${trouble(lab)}`);
    },
  },
  {
    name: 'A message the server sends through any instance reaches clients on every instance',
    async run(lab) {
      const room = freshRoom(lab, 'news');
      const clients = await spread(lab, ['alice', 'bob', 'carol'], room);
      // One announcement posted through each instance, whatever the rotation.
      const posts = [];
      for (const instance of lab.upInstances()) {
        const text = `news via ${instance}`;
        const res = await lab.request('POST', '/announce', { body: { room, text }, via: instance });
        lab.assert(res.status === 200, `Expected POST /announce {"room":"${room}"} on ${instance} to answer 200; observed ${lab.describe(res)}.`, res);
        posts.push({ instance, text, res });
      }
      const lostBy = (client) => posts.filter((p) => !got(client, p.text));
      await Promise.all(clients.map((client) => client.until(() => lostBy(client).length === 0, 1500)));
      const missing = [];
      let evidence;
      for (const client of clients) {
        const lost = lostBy(client);
        if (lost.length) {
          missing.push(`${who(client)} on ${client.instance} got ${posts.length - lost.length} of ${posts.length} (missing the one${lost.length > 1 ? 's' : ''} via ${lost.map((p) => p.instance).join(', ')})`);
          evidence ??= lost[0]?.res;
        }
      }
      lab.assert(
        missing.length === 0,
        `One announcement was posted through each of ${posts.map((p) => p.instance).join(', ')} to room "${room}" (${where(clients)}). ` +
          `Expected every client to receive all ${posts.length}; observed: ${missing.join('; ')}. Each instance only reached its own sockets.${trouble(lab)}`,
        evidence,
      );
    },
  },
  {
    name: 'The number of people in a room is the same whichever instance counts',
    async run(lab) {
      const room = freshRoom(lab, 'presence');
      const clients = await spread(lab, ['alice', 'bob', 'carol'], room);
      const instances = lab.upInstances();
      const first = await settleCount(lab, room, instances, 3, 2000);
      lab.assert(
        first.settled,
        `Alice, Bob and Carol are connected to room "${room}" (${where(clients)}). Expected GET /online to count 3 on every instance; observed ${show(lab, first.last)}.`,
        first.last.find((a) => a.online !== 3)?.res,
      );
      const gone = lab.pick(clients);
      gone.close();
      const after = await settleCount(lab, room, instances, 2, 3000);
      lab.assert(
        after.settled,
        `After ${who(gone)} (on ${gone.connections[0]?.instance}) left, expected every instance to count 2 within 3 s; observed ${show(lab, after.last)}.`,
        after.last.find((a) => a.online !== 2)?.res,
      );
    },
  },
  {
    name: 'A message stays in its room',
    async run(lab) {
      const room = freshRoom(lab, 'private');
      const elsewhere = freshRoom(lab, 'elsewhere');
      const [alice, bob] = await spread(lab, ['alice', 'bob'], room);
      // Someone in another room on every instance, Alice's own included.
      const outsiders = [];
      for (const instance of lab.upInstances()) {
        const outsider = await connectWhere(lab, { user: `outsider-${instance}`, room: elsewhere }, (at) => at === instance);
        if (outsider) outsiders.push(outsider);
      }
      lab.assert(
        outsiders.some((o) => o.instance === alice.instance),
        `Expected a client in another room to get a connection on Alice's instance ${alice.instance}; observed ${where(outsiders) || 'none'}.`,
      );
      alice.raw.emit('say', 'only for this room');
      const heard = await bob.next('message', (m) => m?.text === 'only for this room', 2000);
      lab.assert(heard, `Alice (on ${alice.instance}) said "only for this room" to room "${room}". Expected Bob (on ${bob.instance}, same room) to receive it within 2 s; observed nothing arriving.${trouble(lab)}`);
      await lab.sleep(300);
      const leaked = outsiders.filter((o) => got(o, 'only for this room'));
      lab.assert(
        leaked.length === 0,
        `${leaked.map((o) => `${who(o)} (on ${o.instance})`).join(' and ')} ${leaked.length > 1 ? 'are' : 'is'} in room "${elsewhere}". ` +
          `Expected only room "${room}" to receive Alice's message; observed it arriving there too. Broadcast with io.to(room), not io.emit.`,
      );
    },
  },
  {
    name: 'Behind a sticky balancer, a long-polling client chats with a WebSocket client on another instance',
    async run(lab) {
      // Long-polling is a series of HTTP requests. Round-robin would send them to different instances, which do not
      // know the polling session; the sticky strategy pins them all to the instance of the first one.
      lab.strategy('sticky');
      const room = freshRoom(lab, 'polling');
      const alice = await lab.socket({ auth: { user: 'alice', room }, transports: ['polling'] });
      const bob = await connectWhere(lab, { user: 'bob', room }, (at) => at !== alice.instance);
      lab.assert(bob, `Expected Bob's WebSocket connection to land on another instance than Alice's (${alice.instance}); observed every attempt landing there.`);
      alice.raw.emit('say', 'polling hello');
      const heard = await bob.next('message', (m) => m?.text === 'polling hello', 2000);
      lab.assert(heard, `Alice long-polls instance ${alice.instance}, Bob is on ${bob.instance} over WebSocket. Expected Bob to receive Alice's message within 2 s; observed nothing arriving.${trouble(lab)}`);
      bob.raw.emit('say', 'websocket hello');
      const back = await alice.next('message', (m) => m?.text === 'websocket hello', 2000);
      lab.assert(back, `Expected Alice, long-polling ${alice.instance}, to receive Bob's reply from ${bob.instance} within 2 s; observed nothing arriving.${trouble(lab)}`);
      const stayed = alice.connections.length === 1 && alice.connected;
      lab.assert(stayed, `Expected Alice's polling connection to stay on one instance; observed ${alice.connections.length} connection(s): ${alice.connections.map((c) => c.instance).join(' → ')}.`);
    },
  },
  {
    name: 'The count stays right when an instance holding people crashes',
    timeoutMs: 30_000,
    async run(lab) {
      // A crashed process runs no disconnect handler: whatever it was meant to undo on the way out stays done.
      const room = freshRoom(lab, 'crash');
      const clients = await spread(lab, ['alice', 'bob', 'carol'], room);
      const first = await settleCount(lab, room, lab.upInstances(), 3, 2000);
      lab.assert(
        first.settled,
        `Alice, Bob and Carol are connected to room "${room}" (${where(clients)}). Expected GET /online to count 3 on every instance; observed ${show(lab, first.last)}.`,
        first.last.find((a) => a.online !== 3)?.res,
      );
      const victim = lab.pick(clients);
      const dead = victim.instance;
      victim.raw.io.reconnection(false); // Carol closed her laptop as her instance died: she is gone.
      await lab.kill(dead);
      const survivors = lab.upInstances();
      const stillThere = clients.filter((c) => c !== victim);
      const after = await settleCount(lab, room, survivors, 2, 8000);
      lab.assert(
        after.settled,
        `Instance ${dead}, which held ${who(victim)}'s connection, was killed (SIGKILL: no disconnect handler ran), and ${who(victim)} did not come back. ` +
          `${where(stillThere)} are still connected. Expected every instance still up to count 2 within 8 s; observed ${show(lab, after.last)}. ` +
          `A count kept up by +1 on connect and -1 on disconnect never hears of the people a dead instance held.`,
        after.last.find((a) => a.online !== 2)?.res,
      );
    },
  },
];
