// Checks for "The Map trap": a login must count on every instance, not only the one that saw it. Users are judged
// by whom /me names (lab.sessions and visit.loggedIn), never by the status code alone, and every failure carries
// the request that showed it.

/** The first visit that does not name its user: the evidence of a failure. */
const firstOut = (visits) => visits.find((v) => !v.loggedIn);

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'A login is honoured by every instance',
    async run(lab) {
      const { user: alice, login } = await lab.sessions.loginEverywhere('alice');
      const visits = await lab.visits(alice, 9);
      const served = new Set(visits.map((v) => v.instance));
      lab.assert(served.size >= 3, `Expected Alice's 9 visits through the balancer to reach all three instances; observed ${lab.tally(visits)}.`, visits.at(-1));
      const out = firstOut(visits);
      lab.assert(
        !out,
        `Alice logged in on ${login.instance}. Expected all 9 of her visits through the balancer to answer naming her; observed ${lab.tally(visits)}, ` +
          `among them ${out && lab.said(out)}.`,
        out,
      );
    },
  },
  {
    name: 'Several users logged in at once are never mixed up',
    async run(lab) {
      await lab.sessions.identitiesHold(['alice', 'bob', 'carol']);
    },
  },
  {
    name: 'Logging out ends the session on every instance',
    async run(lab) {
      const { user: carol } = await lab.sessions.loginEverywhere('carol');
      await lab.sessions.logoutEverywhere(carol);
    },
  },
  {
    name: 'A forged or tampered cookie logs nobody in',
    async run(lab) {
      const { user: dave } = await lab.sessions.loginEverywhere('dave');
      // A second user logged in after Dave, so that a guessable id (Dave's plus one) would belong to someone.
      await lab.sessions.loginEverywhere('erin');
      await lab.sessions.forgedCookiesRefused(dave);
    },
  },
  {
    name: 'Sessions live in Redis and expire',
    async run(lab) {
      const { user: frank } = await lab.sessions.loginEverywhere('frank');
      await lab.sessions.sessionExpires(frank, { expireNow: true });
    },
  },
  {
    name: 'A session outlives the instance that created it',
    timeoutMs: 25_000,
    async run(lab) {
      const { user: bob, login } = await lab.sessions.loginEverywhere('bob');
      const origin = /** @type {string} */ (login.instance);
      await lab.kill(origin);
      for (const instance of lab.upInstances()) {
        const visit = await bob.visit({ via: instance });
        lab.assert(
          visit.loggedIn,
          `Bob logged in on ${origin}, which was then killed. Expected ${instance} to answer naming him; observed ${lab.said(visit)}.`,
          visit,
        );
      }
      const visits = await lab.visits(bob, 6);
      const out = firstOut(visits);
      lab.assert(!out, `Instance ${origin}, where Bob logged in, was killed. Expected his next 6 visits to stay logged in; observed ${lab.tally(visits)}, among them ${out && lab.said(out)}.`, out);
      // A new process in its place starts with empty memory; the session must still be there for it.
      await lab.start(origin);
      await lab.waitForAllUp();
      const back = await bob.visit({ via: origin });
      lab.assert(
        back.loggedIn,
        `${origin} was started again as a new process. Expected it to answer naming Bob, whose session outlives every process; observed ${lab.said(back)}.`,
        back,
      );
    },
  },
];
