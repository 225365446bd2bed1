// Checks for "Module-level state and cluster": order numbers, the recent-orders list and the current user must not
// depend on which process handled a request.

/** Place one order as `user`; fails the check unless it is created. */
async function order(lab, user, item) {
  const res = await user.request('POST', '/orders', { item });
  lab.assert(res.status === 201, `Expected POST /orders as ${user.name} to answer 201; observed ${res.status}: ${res.body.trim().slice(0, 160)}`);
  return { ...res.json, servedBy: res.instance };
}

/** "1 from A and B" style summary of repeated ids. */
function duplicates(orders) {
  const byId = new Map();
  for (const o of orders) byId.set(o.id, [...(byId.get(o.id) ?? []), o.servedBy]);
  return [...byId].filter(([, where]) => where.length > 1).map(([id, where]) => `${id} from ${where.join(' and ')}`);
}

async function loggedIn(lab, name) {
  const user = lab.user(name);
  const login = await user.login();
  lab.assert(login.status === 200, `Expected ${name}'s login to answer 200; observed ${login.status}: ${login.body.trim().slice(0, 160)}`);
  return user;
}

export default [
  {
    name: 'Order numbers never repeat, whichever instance creates the order',
    async run(lab) {
      const alice = await loggedIn(lab, 'alice');
      const orders = [];
      for (let i = 0; i < 9; i++) orders.push(await order(lab, alice, `tea ${i}`));
      const served = new Set(orders.map((o) => o.servedBy));
      lab.assert(served.size === 3, `Expected the 9 orders to be created on A, B and C; observed ${[...served].join(', ')}.`);
      const repeated = duplicates(orders);
      lab.assert(
        repeated.length === 0,
        `Expected 9 different order numbers; observed ${new Set(orders.map((o) => o.id)).size} different ones — number ${repeated.join(', number ')}. ` +
          'Each process counts from 1 on its own.',
      );
    },
  },
  {
    name: 'The list of recent orders is complete on every instance',
    async run(lab) {
      const bob = await loggedIn(lab, 'bob');
      const tag = Math.floor(lab.random() * 1e6);
      const items = [];
      for (let i = 1; i <= 6; i++) {
        items.push(`cake ${tag}-${i}`);
        await order(lab, bob, items.at(-1));
      }
      const views = [];
      for (let i = 0; i < 6; i++) {
        const res = await lab.request('GET', '/orders');
        lab.assert(res.status === 200, `Expected GET /orders to answer 200; observed ${res.status}: ${res.body.trim().slice(0, 160)}`);
        const listed = new Set((res.json?.orders ?? []).map((o) => o.item));
        views.push({ instance: res.instance, seen: items.filter((item) => listed.has(item)).length });
      }
      lab.assert(
        views.every((v) => v.seen === 6),
        `Bob placed 6 orders through A, B and C. Expected GET /orders to list all 6 on every instance; observed ${views.map((v) => `${v.instance} listed ${v.seen}`).join(', ')}.`,
      );
    },
  },
  {
    name: 'Every order is credited to the person who placed it, even when orders arrive together',
    async run(lab) {
      const people = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => loggedIn(lab, name)));
      const placed = await Promise.all(
        people.flatMap((user) => [1, 2, 3, 4, 5].map(async (i) => ({ by: user.name, order: await order(lab, user, `muffin ${i}`) }))),
      );
      const wrong = placed.filter((p) => p.order.user !== p.by);
      lab.assert(
        wrong.length === 0,
        `Alice, Bob, Carol and Dave placed 5 orders each at the same time. Expected every order to name the person who placed it; ` +
          `observed ${wrong.length} of 20 credited to someone else, e.g. ${wrong.slice(0, 3).map((p) => `${p.by}'s order on ${p.order.servedBy} credited to ${p.order.user}`).join('; ')}. ` +
          'One variable for "the current user" is shared by every request the process is handling.',
      );
    },
  },
  {
    name: 'Order numbers and the recent list survive a rolling deploy',
    timeoutMs: 30_000,
    async run(lab) {
      const carol = await loggedIn(lab, 'carol');
      const before = [];
      for (let i = 0; i < 3; i++) before.push(await order(lab, carol, `bagel ${i}`));
      await lab.deploy();
      const after = [];
      for (let i = 0; i < 3; i++) after.push(await order(lab, carol, `scone ${i}`));
      const repeated = duplicates([...before, ...after]);
      lab.assert(
        repeated.length === 0,
        `Every instance was replaced by a new process between Carol's first and last 3 orders. Expected 6 different order numbers; observed number ${repeated.join(', number ')}.`,
      );
      const res = await lab.request('GET', '/orders');
      const listed = new Set((res.json?.orders ?? []).map((o) => o.item));
      const kept = before.filter((o) => listed.has(o.item)).length;
      lab.assert(kept === 3, `Expected the 3 orders placed before the deploy to still be listed by GET /orders (on ${res.instance}); observed ${kept} of 3.`);
    },
  },
];
