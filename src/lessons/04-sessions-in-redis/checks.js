// Checks for "Sessions in Redis": the session must live outside every instance. Users are judged by whom /me
// names (lab.sessions and visit.loggedIn), never by the status code alone, and every failure carries the request
// that showed it.

/** Every visit must name its user; fails with the first one that does not. */
function allLoggedIn(lab, visits, context) {
  const out = visits.find((v) => !v.loggedIn);
  lab.assert(
    !out,
    `${context} Expected all ${visits.length} visits to name the user who made them; observed ${lab.tally(visits)}, among them ${out && lab.said(out)}.`,
    out,
  );
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'After one login, 30 requests are authenticated on every instance',
    async run(lab) {
      const { user: alice, login } = await lab.sessions.loginEverywhere('alice');
      const visits = await lab.visits(alice, 30);
      const served = new Set(visits.map((v) => v.instance));
      lab.assert(served.size === 3, `Expected the 30 visits through the balancer to reach A, B and C; observed ${lab.tally(visits)}.`, visits.at(-1));
      allLoggedIn(lab, visits, `Alice logged in on ${login.instance}.`);
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
      const { user: dave } = await lab.sessions.loginEverywhere('dave');
      await lab.sessions.logoutEverywhere(dave);
    },
  },
  {
    name: 'A forged or tampered cookie logs nobody in',
    async run(lab) {
      const { user: erin } = await lab.sessions.loginEverywhere('erin');
      await lab.sessions.loginEverywhere('frank');
      await lab.sessions.forgedCookiesRefused(erin);
    },
  },
  {
    name: 'The session is stored in Redis with an expiry',
    async run(lab) {
      const { user: grace } = await lab.sessions.loginEverywhere('grace');
      await lab.sessions.sessionExpires(grace, { expireNow: true });
    },
  },
  {
    name: 'Killing the instance that handled the login does not log the user out',
    async run(lab) {
      const { user: bob, login } = await lab.sessions.loginEverywhere('bob');
      await lab.kill(/** @type {string} */ (login.instance));
      const visits = await lab.visits(bob, 9);
      allLoggedIn(lab, visits, `Instance ${login.instance} handled Bob's login and was then killed.`);
      for (const instance of lab.upInstances()) {
        const visit = await bob.visit({ via: instance });
        lab.assert(visit.loggedIn, `${login.instance}, where Bob logged in, was killed. Expected ${instance} to answer naming him; observed ${lab.said(visit)}.`, visit);
      }
    },
  },
  {
    name: 'A rolling deploy of every instance keeps users logged in',
    timeoutMs: 30_000,
    async run(lab) {
      const { user: carol } = await lab.sessions.loginEverywhere('carol');
      const { user: heidi } = await lab.sessions.loginEverywhere('heidi');
      let deploying = true;
      const during = [];
      const watch = async (person) => {
        while (deploying) {
          during.push(await person.visit());
          await lab.sleep(20);
        }
      };
      const watchers = [watch(carol), watch(heidi)];
      try {
        await lab.deploy();
      } finally {
        deploying = false;
        await Promise.all(watchers);
      }
      allLoggedIn(lab, during, 'Carol and Heidi kept visiting while every instance was replaced, one after another.');
      for (const person of [carol, heidi]) {
        for (const instance of lab.upInstances()) {
          const visit = await person.visit({ via: instance });
          lab.assert(
            visit.loggedIn,
            `Every instance was replaced by a new process. Expected ${instance} to answer naming ${person.name}, whose session lives in Redis; observed ${lab.said(visit)}.`,
            visit,
          );
        }
      }
    },
  },
];
