// Checks for "WebSockets live in one process". Clients connect through the balancer over WebSocket only, so each
// connection stays on one instance; the app names that instance in its "welcome" event.

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
    lab.assert(client, `Expected ${user} to get a connection on an instance nobody else in the test uses; observed every attempt landing on ${clients.map((c) => c.instance).join(', ')}.`);
    clients.push(client);
  }
  return clients;
}

const where = (clients) => clients.map((c) => `${c.raw.auth.user} on ${c.instance}`).join(', ');

export default [
  {
    name: 'Alice on one instance and Bob on another chat in the same room',
    async run(lab) {
      const room = freshRoom(lab, 'room');
      const [alice, bob] = await spread(lab, ['alice', 'bob'], room);
      const ack = await alice.request('say', ['hi Bob']);
      lab.assert(ack, `Expected the app to acknowledge Alice's "say" event (call its callback); observed no answer within 3 s from instance ${alice.instance}.`);
      const heard = await bob.next('message', (m) => m?.text === 'hi Bob');
      const echoed = alice.messages('message').some((m) => m?.text === 'hi Bob');
      lab.assert(
        heard,
        `Alice is connected to instance ${alice.instance}, Bob to instance ${bob.instance}, both in room "${room}". ` +
          `Expected Bob to receive Alice's "hi Bob" within 2 s; observed nothing arriving` +
          (echoed ? `, while Alice herself got it back from ${alice.instance}: the broadcast never left her instance.` : '.'),
      );
      await bob.request('say', ['hi Alice']);
      const back = await alice.next('message', (m) => m?.text === 'hi Alice');
      lab.assert(back, `Expected Alice (on ${alice.instance}) to receive Bob's reply from ${bob.instance} within 2 s; observed nothing arriving.`);
    },
  },
  {
    name: 'A message the server sends through any instance reaches clients on every instance',
    async run(lab) {
      const room = freshRoom(lab, 'news');
      const clients = await spread(lab, ['alice', 'bob', 'carol'], room);
      const sentVia = [];
      for (let i = 1; i <= 3; i++) {
        const res = await lab.request('POST', '/announce', { body: { room, text: `news ${i}` } });
        lab.assert(res.status === 200, `Expected POST /announce to answer 200; observed ${res.status}: ${res.body.trim().slice(0, 160)}`);
        sentVia.push(res.instance);
      }
      const lostBy = (client) => {
        const got = new Set(client.messages('message').map((m) => m?.text));
        return [1, 2, 3].filter((i) => !got.has(`news ${i}`));
      };
      await Promise.all(clients.map((client) => client.until(() => lostBy(client).length === 0, 1500)));
      const missing = [];
      for (const client of clients) {
        const lost = lostBy(client);
        if (lost.length) missing.push(`${client.raw.auth.user} on ${client.instance} got ${3 - lost.length} of 3`);
      }
      lab.assert(
        missing.length === 0,
        `Three announcements were posted through instances ${sentVia.join(', ')} to room "${room}" (${where(clients)}). ` +
          `Expected every client to receive all three; observed: ${missing.join('; ')}. Each instance only reached its own sockets.`,
      );
    },
  },
  {
    name: 'The number of people in a room is the same whichever instance counts',
    async run(lab) {
      const room = freshRoom(lab, 'presence');
      const clients = await spread(lab, ['alice', 'bob', 'carol'], room);
      const ask = async () => {
        const answers = [];
        for (let i = 0; i < 6; i++) {
          const res = await lab.request('GET', `/online?room=${room}`);
          lab.assert(res.status === 200, `Expected GET /online to answer 200; observed ${res.status}: ${res.body.trim().slice(0, 160)}`);
          answers.push({ instance: res.instance, online: res.json?.online });
        }
        return answers;
      };
      const show = (answers) => answers.map((a) => `${a.instance} said ${a.online}`).join(', ');
      const first = await ask();
      lab.assert(
        first.every((a) => a.online === 3),
        `Alice, Bob and Carol are connected to room "${room}" (${where(clients)}). Expected GET /online to count 3 on every instance; observed ${show(first)}.`,
      );
      const [gone] = clients;
      gone.close();
      let last = [];
      const settled = await lab.waitFor(async () => (last = await ask()).every((a) => a.online === 2), () => '', 3000).catch(() => false);
      lab.assert(settled, `After ${gone.raw.auth.user} (on ${gone.connections[0]?.instance}) left, expected every instance to count 2; observed ${show(last)}.`);
    },
  },
  {
    name: 'A message stays in its room',
    async run(lab) {
      const room = freshRoom(lab, 'private');
      const [alice, bob] = await spread(lab, ['alice', 'bob'], room);
      const outsider = await lab.socket({ auth: { user: 'carol', room: freshRoom(lab, 'elsewhere') } });
      await alice.request('say', ['only for this room']);
      await alice.next('message', (m) => m?.text === 'only for this room');
      await lab.sleep(300);
      const leaked = outsider.messages('message').some((m) => m?.text === 'only for this room');
      lab.assert(!leaked, `Carol is in another room (on instance ${outsider.instance}). Expected her not to receive Alice's message to room "${room}"; observed it arriving. Broadcast with io.to(room), not io.emit.`);
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
      let bob;
      for (let attempt = 0; attempt < 6 && !bob; attempt++) {
        const candidate = await lab.socket({ auth: { user: 'bob', room } });
        if (candidate.instance !== alice.instance) bob = candidate;
        else candidate.close();
      }
      lab.assert(bob, `Expected Bob's WebSocket connection to land on another instance than Alice's (${alice.instance}); observed every attempt landing there.`);
      await alice.request('say', ['polling hello']);
      const heard = await bob.next('message', (m) => m?.text === 'polling hello');
      lab.assert(heard, `Alice long-polls instance ${alice.instance}, Bob is on ${bob.instance} over WebSocket. Expected Bob to receive Alice's message within 2 s; observed nothing arriving.`);
      const stayed = alice.connections.length === 1 && alice.connected;
      lab.assert(stayed, `Expected Alice's polling connection to stay on one instance; observed ${alice.connections.length} connection(s): ${alice.connections.map((c) => c.instance).join(' → ')}.`);
    },
  },
];
