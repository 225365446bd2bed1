// Checks for "Caches and flags": whatever one instance learns or changes, every instance must see. The database
// (db.js) never answers in less than 500 ms, so a read that slow went to the database; a cache hit answers in a
// few milliseconds. The margin is wide on purpose: a busy machine can slow a hit down a lot, never a miss.

const DB_MS = 500;
const FAST_MS = 450;
const BOUND_MS = 1000;

/** GET a path and fail with a readable message unless it answers 200 with JSON. */
async function getJson(lab, path) {
  const r = await lab.request('GET', path);
  lab.assert(r.status === 200 && r.json, `Expected GET ${path} to answer 200 with JSON; observed ${r.status} from ${r.instance ?? 'no instance'}: ${r.body.trim().slice(0, 160)}`);
  return r;
}

/** Read a path until every up instance has answered once (round-robin: usually 3 reads). */
async function readEverywhere(lab, path) {
  const expected = lab.upInstances().length;
  const byInstance = new Map();
  for (let i = 0; i < expected * 3 && byInstance.size < expected; i++) {
    const r = await getJson(lab, path);
    byInstance.set(r.instance, r);
  }
  return byInstance;
}

/**
 * After a change, read through every instance until all of them show the value `wanted(answer)` accepts, or
 * BOUND_MS has passed. Returns how long it took, or fails saying what each instance answered.
 */
async function expectEverywhere(lab, path, wanted, describe, context) {
  const since = Date.now();
  for (;;) {
    const round = await readEverywhere(lab, path);
    const stale = [...round].filter(([, r]) => !wanted(r.json));
    if (stale.length === 0) return Date.now() - since;
    if (Date.now() - since > BOUND_MS) {
      const seen = [...round].sort().map(([name, r]) => `${name}: ${describe(r.json)}`).join(', ');
      lab.fail(`${context} Expected every instance to answer ${describe(null)} within ${BOUND_MS / 1000} s; observed after ` +
        `${((Date.now() - since) / 1000).toFixed(1)} s — ${seen}.`);
    }
    await lab.sleep(100);
  }
}

export default [
  {
    name: 'After one slow read, every instance answers that product from the cache',
    async run(lab) {
      const first = await getJson(lab, '/products/1');
      lab.assert(typeof first.json.price === 'number', `Expected GET /products/1 to answer a product with a numeric price; observed ${first.body.trim().slice(0, 160)}`);
      const reads = [];
      for (let i = 0; i < 6; i++) reads.push(await getJson(lab, '/products/1'));
      const slow = reads.filter((r) => r.ms >= FAST_MS);
      const show = (r) => `${r.instance} ${Math.round(r.ms)} ms${r.headers['x-cache'] ? ` (x-cache: ${r.headers['x-cache']})` : ''}`;
      lab.assert(
        slow.length === 0,
        `Product 1 was read once through ${first.instance} (${Math.round(first.ms)} ms), so it is cached. The database takes ${DB_MS} ms. ` +
          `Expected the next 6 reads, on any instance, to be cache hits (under ${FAST_MS} ms); observed ${reads.map(show).join(', ')}.`,
      );
    },
  },
  {
    name: 'A price change made through one instance is seen by every instance within 1 s',
    async run(lab) {
      // Let every instance read (and cache) the old price first.
      const before = await readEverywhere(lab, '/products/2');
      const oldPrice = [...before.values()][0].json.price;
      const newPrice = oldPrice + 5;
      const put = await lab.request('PUT', '/products/2', { body: { price: newPrice } });
      lab.assert(put.status === 200, `Expected PUT /products/2 {"price": ${newPrice}} to answer 200; observed ${put.status}: ${put.body.trim().slice(0, 160)}`);
      await expectEverywhere(
        lab,
        '/products/2',
        (p) => p.price === newPrice,
        (p) => (p ? `price ${p.price}` : `price ${newPrice}`),
        `The price of product 2 went from ${oldPrice} to ${newPrice} through instance ${put.instance}.`,
      );
    },
  },
  {
    name: 'A flag switched through one instance is the same on every instance within 1 s',
    async run(lab) {
      const before = await readEverywhere(lab, '/flags');
      const states = [...before].map(([name, r]) => `${name}: ${r.json.newCheckout ? 'on' : 'off'}`);
      lab.assert(
        new Set([...before.values()].map((r) => r.json.newCheckout)).size === 1,
        `Before any change, expected every instance to agree on newCheckout; observed ${states.join(', ')}.`,
      );
      let on = Boolean([...before.values()][0].json.newCheckout);
      for (let round = 0; round < 2; round++) {
        on = !on;
        const state = on ? 'on' : 'off';
        const post = await lab.request('POST', `/flags/newCheckout/${state}`);
        lab.assert(post.status === 200, `Expected POST /flags/newCheckout/${state} to answer 200; observed ${post.status}: ${post.body.trim().slice(0, 160)}`);
        await expectEverywhere(
          lab,
          '/flags',
          (f) => f.newCheckout === on,
          (f) => `newCheckout ${f ? (f.newCheckout ? 'on' : 'off') : state}`,
          `newCheckout was switched ${state} through instance ${post.instance}.`,
        );
      }
    },
  },
  {
    name: 'Cached products expire on their own',
    async run(lab) {
      await getJson(lab, '/products/3');
      await getJson(lab, '/products/3');
      const redis = await lab.redis();
      const keys = (await redis.keys('*')).filter((k) => !k.startsWith('db:'));
      let found;
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '';
        if (value?.includes('Kettle')) found = key;
      }
      lab.assert(
        found,
        `Product 3 (Kettle) was just read twice. Expected a cache entry holding it in Redis, besides the database's db: keys; observed ` +
          (keys.length ? `${keys.length} other key(s), ${keys.slice(0, 5).join(', ')}, none of which holds it.` : 'no other key at all.'),
      );
      const ttl = await redis.ttl(found);
      lab.assert(ttl > 0, `Expected the cache entry "${found}" to expire (a positive TTL); observed TTL ${ttl} (${ttl === -1 ? 'never expires' : 'missing'}).`);
    },
  },
];
