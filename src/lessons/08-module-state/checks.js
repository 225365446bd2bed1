// Checks for "Module-level state and cluster": order numbers, the recent-orders list and the current user must not
// depend on which process handled a request, nor on how many requests arrive at once. Orders are sent to chosen
// instances with `via` (starting at a seeded one), so round-robin's order never decides the outcome. Orders sent at
// the same moment catch state that is shared but updated in two steps (GET then SET in Redis, a JSON file read and
// written back): every instance sees it, and yet two requests read the same value before either writes.

/** Place one order as `user` (through instance `via`, when given); fails the check unless it is created. */
async function order(lab, user, item, via) {
  const res = await user.request('POST', '/orders', { item }, via ? { via } : {});
  lab.assert(
    res.status === 201 && res.json && typeof res.json === 'object',
    `Expected POST /orders {"item": "${item}"} as ${user.name}${via ? ` through ${via}` : ''} to answer 201 with the order as JSON; ` +
      `observed ${res.status || 'no answer'} from ${res.instance ?? 'no instance'}: ${lab.excerpt(res, 160)}`,
    res,
  );
  return { ...res.json, servedBy: res.instance, response: res };
}

/** The up instances, in turn from a seeded one: the instance for request number i is `at(i)`. */
function rotation(lab) {
  const up = lab.upInstances();
  const first = Math.floor(lab.random() * up.length);
  return (/** @type {number} */ i) => up[(first + i) % up.length];
}

/** "1 from A and B" style summary of repeated ids. */
function duplicates(orders) {
  const byId = new Map();
  for (const o of orders) byId.set(String(o.id), [...(byId.get(String(o.id)) ?? []), o.servedBy]);
  return [...byId].filter(([, where]) => where.length > 1).map(([id, where]) => `${id} from ${where.join(' and ')}`);
}

/** The first order whose id another order also got, for the rerun line. */
function firstDuplicate(orders) {
  const seen = new Set();
  for (const o of orders) {
    if (seen.has(String(o.id))) return o.response;
    seen.add(String(o.id));
  }
  return undefined;
}

async function loggedIn(lab, name) {
  const user = lab.user(name);
  const login = await user.login();
  lab.assert(login.loggedIn, `Expected ${name}'s login to be accepted (2xx); observed ${login.status || 'no answer'}: ${lab.excerpt(login, 160)}`, login);
  return user;
}

/** GET /orders through `via`: the items it lists. */
async function listed(lab, via) {
  const res = await lab.request('GET', '/orders', { via });
  lab.assert(
    res.status === 200 && Array.isArray(res.json?.orders),
    `Expected GET /orders through ${via} to answer 200 with {"orders": [...]}; observed ${res.status || 'no answer'}: ${lab.excerpt(res, 160)}`,
    res,
  );
  return { res, items: new Set(res.json.orders.map((o) => o?.item)) };
}

/** 20 orders at the same moment: 4 people × 5, spread over the instances in turn. */
function twentyAtOnce(lab, people, label) {
  const at = rotation(lab);
  return Promise.all(
    people.flatMap((user, u) => [1, 2, 3, 4, 5].map(async (i) => {
      const item = `${label} ${user.name} ${i}`;
      return { by: user.name, item, order: await order(lab, user, item, at(u * 5 + i)) };
    })),
  );
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'Order numbers never repeat, whichever instance creates the order',
    async run(lab) {
      const alice = await loggedIn(lab, 'alice');
      const at = rotation(lab);
      const orders = [];
      for (let i = 0; i < 9; i++) orders.push(await order(lab, alice, `tea ${i}`, at(i)));
      const repeated = duplicates(orders);
      lab.assert(
        repeated.length === 0,
        `Alice placed 9 orders one after another, 3 through each of ${lab.upInstances().join(', ')}. Expected 9 different order numbers; observed ` +
          `${new Set(orders.map((o) => String(o.id))).size} different ones — number ${repeated.join(', number ')}. Each process counts on its own.`,
        firstDuplicate(orders),
      );
    },
  },
  {
    name: 'Twenty orders placed at the same moment get twenty different numbers',
    async run(lab) {
      const people = await Promise.all(['erin', 'frank', 'grace', 'heidi'].map((name) => loggedIn(lab, name)));
      // Three rounds: a collision that depends on timing (two orders in the same millisecond) gets three chances to show.
      const orders = [];
      for (let round = 1; round <= 3; round++) {
        const placed = await twentyAtOnce(lab, people, `scone ${round}`);
        orders.push(...placed.map((p) => p.order));
        const repeated = duplicates(orders);
        lab.assert(
          repeated.length === 0,
          `Erin, Frank, Grace and Heidi placed 5 orders each at the same moment, spread over ${lab.upInstances().join(', ')}` +
            `${round > 1 ? `, ${round} times in a row` : ''}. Expected ${orders.length} different order numbers; ` +
            `observed ${new Set(orders.map((o) => String(o.id))).size} different ones — number ${repeated.slice(0, 5).join(', number ')}. ` +
            'Either each process counts on its own, or requests that read the counter before any of them writes it back get the same number ' +
            '(or the number is a timestamp, which two orders can share): take the next number from one shared counter in one atomic step ' +
            '(INCR, a Lua script), not with a read and a write, in Redis or in a file.',
          firstDuplicate(orders),
        );
      }
    },
  },
  {
    name: 'The list of recent orders is complete on every instance',
    async run(lab) {
      const bob = await loggedIn(lab, 'bob');
      const tag = Math.floor(lab.random() * 1e6);
      const at = rotation(lab);
      const up = lab.upInstances();
      const items = [];
      for (let i = 1; i <= 6; i++) {
        items.push(`cake ${tag}-${i}`);
        await order(lab, bob, items.at(-1), at(i));
      }
      for (const via of up) {
        const { res, items: seen } = await listed(lab, via);
        const count = items.filter((item) => seen.has(item)).length;
        lab.assert(
          count === 6,
          `Bob placed 6 orders one after another, 2 through each of ${up.join(', ')}. Expected GET /orders through ${via} to list all 6; observed ${count} of them.`,
          res,
        );
      }
      // The list holds the latest 20: twenty orders at once must all be in it, none lost between a read and a write.
      const people = await Promise.all(['ivan', 'judy', 'olivia', 'peggy'].map((name) => loggedIn(lab, name)));
      const placed = await twentyAtOnce(lab, people, `pie ${tag}`);
      for (const via of up) {
        const { res, items: seen } = await listed(lab, via);
        const missing = placed.filter((p) => !seen.has(p.item));
        lab.assert(
          missing.length === 0,
          `Then 20 orders arrived at the same moment, spread over ${up.join(', ')}. Expected GET /orders through ${via} to list all 20 (the latest 20 orders); ` +
            `observed ${20 - missing.length} of them, missing e.g. "${missing.slice(0, 3).map((p) => p.item).join('", "')}". ` +
            'A list read, changed and written back loses the orders that came in between: add to it in one step (LPUSH, a Lua script).',
          res,
        );
      }
    },
  },
  {
    name: 'Every order is credited to the person who placed it, even when orders arrive together',
    async run(lab) {
      const people = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => loggedIn(lab, name)));
      const placed = await twentyAtOnce(lab, people, 'muffin');
      const wrong = placed.filter((p) => p.order.user !== p.by);
      lab.assert(
        wrong.length === 0,
        `Alice, Bob, Carol and Dave placed 5 orders each at the same time. Expected every order to name the person who placed it; ` +
          `observed ${wrong.length} of 20 credited to someone else, e.g. ${wrong.slice(0, 3).map((p) => `${p.by}'s order on ${p.order.servedBy} credited to ${p.order.user}`).join('; ')}. ` +
          'One variable for "the current user" is shared by every request the process is handling.',
        wrong[0]?.order.response,
      );
    },
  },
  {
    name: 'Order numbers and the recent list survive a rolling deploy',
    timeoutMs: 30_000,
    async run(lab) {
      const carol = await loggedIn(lab, 'carol');
      const tag = Math.floor(lab.random() * 1e6);
      let at = rotation(lab);
      const before = [];
      for (let i = 0; i < 3; i++) before.push(await order(lab, carol, `bagel ${tag}-${i}`, at(i)));
      await lab.deploy();
      await lab.waitForAllUp();
      at = rotation(lab);
      const after = [];
      for (let i = 0; i < 3; i++) after.push(await order(lab, carol, `scone ${tag}-${i}`, at(i)));
      const repeated = duplicates([...before, ...after]);
      lab.assert(
        repeated.length === 0,
        `Every instance was replaced by a new process between Carol's first and last 3 orders. Expected 6 different order numbers; observed number ${repeated.join(', number ')}.`,
        firstDuplicate([...before, ...after]),
      );
      const { res, items } = await listed(lab, lab.pick(lab.upInstances()));
      const kept = before.filter((o) => items.has(o.item)).length;
      lab.assert(kept === 3, `Expected the 3 orders placed before the deploy to still be listed by GET /orders (through ${res.instance}); observed ${kept} of 3.`, res);
    },
  },
];
