// Checks for "Sticky sessions": affinity keeps a user on one instance, which skews load and does not save the
// session when that instance goes away. Everything is observed through the balancer and the supervisor.

/** "A×30, B×3, C×3" for the messages. */
function perInstance(responses) {
  const counts = new Map();
  for (const r of responses) counts.set(r.instance ?? 'none', (counts.get(r.instance ?? 'none') ?? 0) + 1);
  return [...counts].sort().map(([name, n]) => `${name}×${n}`).join(', ') || 'no responses';
}

/** Log a user in and check that it worked; returns the instance the balancer pinned them to. */
async function logIn(lab, user) {
  const login = await user.login();
  lab.assert(
    login.status === 200 && login.instance,
    `Expected ${user.name}'s POST /login to answer 200; observed ${login.status}: ${login.body.trim().slice(0, 160)}`,
  );
  return login.instance;
}

export default [
  {
    name: 'Every request of one user lands on one instance',
    async run(lab) {
      const alice = lab.user('alice');
      const pinned = await logIn(lab, alice);
      const visits = await lab.visits(alice, 12);
      const elsewhere = visits.filter((v) => v.instance !== pinned);
      lab.assert(
        elsewhere.length === 0,
        `Alice logged in on ${pinned}, and the balancer is sticky. Expected all 12 of her visits on ${pinned}; observed ${perInstance(visits)}.`,
      );
      lab.assert(
        visits.every((v) => v.status === 200),
        `Expected Alice's 12 visits to ${pinned} to find her logged in; observed ${lab.tally(visits)}.`,
      );
    },
  },
  {
    name: 'A heavy user keeps one instance busy while the others idle (load skew)',
    async run(lab) {
      const alice = lab.user('alice');
      const bob = lab.user('bob');
      const carol = lab.user('carol');
      const pinned = await logIn(lab, alice);
      await logIn(lab, bob);
      await logIn(lab, carol);
      // Alice is a heavy user: 30 requests. Bob and Carol only look in now and then.
      const all = [];
      for (let i = 0; i < 30; i++) {
        all.push(await alice.visit());
        if (i % 10 === 0) all.push(await bob.visit(), await carol.visit());
      }
      const onPinned = all.filter((r) => r.instance === pinned).length;
      const share = Math.round((onPinned / all.length) * 100);
      const fair = Math.round(all.length / Math.max(1, lab.upInstances().length));
      // This passes on the starter too: skew is the price of affinity, not a bug in your code.
      lab.assert(
        share >= 80,
        `Expected the sticky balancer to send all of Alice's 30 visits to ${pinned}, so that it carries at least 80 % of the ` +
          `${all.length} requests (round-robin would give each instance about ${fair}); observed ${perInstance(all)} (${share} % on ${pinned}).`,
      );
    },
  },
  {
    name: "Killing a user's pinned instance does not log them out",
    async run(lab) {
      const bob = lab.user('bob');
      const pinned = await logIn(lab, bob);
      const before = await lab.visits(bob, 3);
      lab.assert(before.every((v) => v.status === 200 && v.instance === pinned), `Expected Bob's first visits to stay on ${pinned}, logged in; observed ${lab.tally(before)}.`);
      await lab.kill(pinned);
      const after = await lab.visits(bob, 6);
      const movedTo = [...new Set(after.map((v) => v.instance))];
      lab.assert(
        after.every((v) => v.status === 200),
        `The balancer pinned Bob to ${pinned}, which was then killed. It moved him to ${movedTo.join(' and ') || 'no instance'}. ` +
          `Expected 6 of 6 visits still logged in; observed ${lab.tally(after)}: his session died with ${pinned}.`,
      );
      lab.assert(
        movedTo.length === 1 && movedTo[0] !== pinned,
        `After ${pinned} died, expected Bob to be pinned to one other instance; observed ${perInstance(after)}.`,
      );
    },
  },
  {
    name: 'A rolling deploy keeps everyone logged in',
    timeoutMs: 30_000,
    async run(lab) {
      const carol = lab.user('carol');
      const pinned = await logIn(lab, carol);
      await lab.deploy();
      const after = await lab.visits(carol, 6);
      lab.assert(
        after.every((v) => v.status === 200),
        `Carol was pinned to ${pinned}. A deploy replaced every instance with a new process (same names, empty memory). ` +
          `Expected 6 of 6 visits still logged in; observed ${lab.tally(after)}.`,
      );
    },
  },
];
