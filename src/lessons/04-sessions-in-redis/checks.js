// Checks for "Sessions in Redis": the session must live outside every instance.

export default [
  {
    name: 'After one login, 30 requests are authenticated on every instance',
    async run(lab) {
      const alice = lab.user('alice');
      const login = await alice.login();
      lab.assert(login.status === 200, `Expected POST /login to answer 200; observed ${login.status}: ${login.body.trim().slice(0, 160)}`);
      const visits = await lab.visits(alice, 30);
      const served = new Set(visits.map((v) => v.instance));
      lab.assert(served.size === 3, `Expected the 30 visits to reach A, B and C; observed ${lab.tally(visits)}.`);
      lab.assert(
        visits.every((v) => v.status === 200),
        `Alice logged in on ${login.instance}. Expected 30 of 30 visits logged in; observed ${lab.tally(visits)}.`,
      );
    },
  },
  {
    name: 'Killing the instance that handled the login does not log the user out',
    async run(lab) {
      const bob = lab.user('bob');
      const login = await bob.login();
      lab.assert(login.status === 200 && login.instance, `Expected Bob's login to succeed; observed ${login.status}.`);
      await lab.kill(login.instance);
      const visits = await lab.visits(bob, 9);
      lab.assert(
        visits.every((v) => v.status === 200),
        `Instance ${login.instance} handled Bob's login and was then killed. Expected 9 of 9 visits logged in; observed ${lab.tally(visits)}.`,
      );
    },
  },
  {
    name: 'A rolling deploy of every instance keeps users logged in',
    timeoutMs: 30_000,
    async run(lab) {
      const carol = lab.user('carol');
      const login = await carol.login();
      lab.assert(login.status === 200, `Expected Carol's login to succeed; observed ${login.status}.`);
      let deploying = true;
      const during = [];
      const watcher = (async () => {
        while (deploying) {
          during.push(await carol.visit());
          await lab.sleep(20);
        }
      })();
      try {
        await lab.deploy();
      } finally {
        deploying = false;
        await watcher;
      }
      const after = await lab.visits(carol, 6);
      lab.assert(
        during.every((v) => v.status === 200),
        `Expected every visit during the deploy to be logged in; observed ${lab.tally(during)}.`,
      );
      lab.assert(
        after.every((v) => v.status === 200),
        `Every instance was replaced by a new process. Expected Carol still logged in; observed ${lab.tally(after)}.`,
      );
    },
  },
  {
    name: 'The session is stored in Redis with an expiry',
    async run(lab) {
      const dave = lab.user('dave');
      const login = await dave.login();
      lab.assert(login.status === 200, `Expected Dave's login to succeed; observed ${login.status}.`);
      const redis = await lab.redis();
      const keys = await redis.keys('*');
      let found;
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '';
        if (value?.includes('dave')) found = key;
      }
      lab.assert(found, `Expected a Redis key holding Dave's session after his login; observed ${keys.length} key(s)${keys.length ? `: ${keys.slice(0, 5).join(', ')}` : ''} and none mentions him.`);
      const ttl = await redis.ttl(found);
      lab.assert(ttl > 0, `Expected the session key "${found}" to expire (a positive TTL); observed TTL ${ttl} (${ttl === -1 ? 'never expires' : 'missing'}).`);
    },
  },
];
