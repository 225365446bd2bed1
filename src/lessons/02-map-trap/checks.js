// Checks for "The Map trap": a login must count on every instance, not only the one that saw it.

export default [
  {
    name: 'A login is honoured by every instance',
    async run(lab) {
      const alice = lab.user('alice');
      const login = await alice.login();
      lab.assert(login.status === 200, `Expected POST /login to answer 200; observed ${login.status}: ${login.body.trim().slice(0, 160)}`);
      const visits = await lab.visits(alice, 9);
      const served = new Set(visits.map((v) => v.instance));
      lab.assert(served.size >= 3, `Expected Alice's 9 visits to reach all three instances; observed ${lab.tally(visits)}.`);
      const out = visits.filter((v) => v.status !== 200);
      lab.assert(
        out.length === 0,
        `Alice logged in on instance ${login.instance}. Expected all 9 visits to find her logged in; observed ${lab.tally(visits)} — ` +
          `${[...new Set(out.map((v) => v.instance))].join(' and ')} never saw her login.`,
      );
    },
  },
  {
    name: 'A session outlives the instance that created it',
    async run(lab) {
      const bob = lab.user('bob');
      const login = await bob.login();
      lab.assert(login.status === 200 && login.instance, `Expected Bob's login to succeed; observed ${login.status}.`);
      await lab.kill(login.instance);
      const visits = await lab.visits(bob, 6);
      lab.assert(
        visits.every((v) => v.status === 200),
        `Instance ${login.instance}, where Bob logged in, was killed. Expected his next 6 visits to stay logged in; observed ${lab.tally(visits)}.`,
      );
    },
  },
  {
    name: 'Logging out ends the session on every instance',
    async run(lab) {
      const carol = lab.user('carol');
      await carol.login();
      const cookie = carol.jar.header();
      const logout = await carol.logout();
      lab.assert(logout.status === 200, `Expected POST /logout to answer 200; observed ${logout.status}.`);
      // Replay the old cookie, as a stolen or stale cookie would be: no instance may accept it.
      const replays = [];
      for (let i = 0; i < 6; i++) replays.push(await lab.request('GET', '/me', { headers: { cookie } }));
      lab.assert(
        replays.every((r) => r.status === 401),
        `After logout, expected the old session cookie to be refused (401) everywhere; observed ${lab.tally(replays)}.`,
      );
    },
  },
];
