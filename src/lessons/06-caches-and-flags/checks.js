// Checks for "Caches and flags": whatever one instance learns or changes, every instance must see. The database
// (db.js) never answers a read in less than 500 ms, so a read that slow went to the database; a cache hit answers
// in a few milliseconds. The margin is wide on purpose: a busy machine can slow a hit down a lot, never a miss.
// A database write takes a full second; reads that arrive during it are the ones that can put an old value back
// into a cache. Which instance reads, writes or switches is chosen with the check's seed and pinned with `via`, so
// round-robin's order never decides the outcome.

/** @typedef {import('../../../playground/lab/check-api.js').LabResponse} LabResponse */

const DB_MS = 500;
const FAST_MS = 450;
const BOUND_MS = 1000;
/** The pause between the reads sent, one after another, while a price change is being written. */
const READ_EVERY_MS = 100;

/** GET a path through one instance; fail with a readable message unless it answers 200 with JSON. */
async function getJson(lab, path, via) {
  const r = await lab.request('GET', path, via ? { via } : {});
  lab.assert(
    r.status === 200 && r.json,
    `Expected GET ${path}${via ? ` through ${via}` : ''} to answer 200 with JSON; observed ${r.status || 'no answer'} from ${r.instance ?? 'no instance'}: ${lab.excerpt(r, 160)}`,
    r,
  );
  return r;
}

/** The up instances in a seeded order, starting with `first` when given. */
function shuffled(lab, first) {
  const rest = lab.upInstances().filter((name) => name !== first);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(lab.random() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return first ? [first, ...rest] : rest;
}

/** One read of `path` pinned to every up instance, in a seeded order: Map instance → response. */
async function readEverywhere(lab, path, first) {
  const byInstance = new Map();
  for (const name of shuffled(lab, first)) byInstance.set(name, await getJson(lab, path, name));
  return byInstance;
}

/**
 * After a change, read through every instance until all of them show the value `wanted(answer)` accepts, or
 * BOUND_MS has passed. Fails saying what each instance answered, with a stale answer as evidence.
 */
async function expectEverywhere(lab, path, wanted, describe, context, why = '') {
  const since = Date.now();
  for (;;) {
    const round = await readEverywhere(lab, path);
    const stale = [...round].filter(([, r]) => !wanted(r.json));
    if (stale.length === 0) return Date.now() - since;
    if (Date.now() - since > BOUND_MS) {
      const seen = [...round].sort().map(([name, r]) => `${name}: ${describe(r.json)}`).join(', ');
      lab.fail(
        `${context} Expected every instance to answer ${describe(null)} within ${BOUND_MS / 1000} s; observed after ` +
          `${((Date.now() - since) / 1000).toFixed(1)} s — ${seen}.${why}`,
        stale[0]?.[1],
      );
    }
    await lab.sleep(100);
  }
}

/** PUT a new price through one instance; fails unless it answers 200. */
async function putPrice(lab, id, price, via) {
  const put = await lab.request('PUT', `/products/${id}`, { body: { price }, via });
  lab.assert(
    put.status === 200,
    `Expected PUT /products/${id} {"price": ${price}} through ${via} to answer 200; observed ${put.status || 'no answer'}: ${lab.excerpt(put, 160)}`,
    put,
  );
  return put;
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'After one slow read, every instance answers that product from the cache',
    async run(lab) {
      const first = await getJson(lab, '/products/1', lab.pick(lab.upInstances()));
      lab.assert(
        typeof first.json.price === 'number',
        `Expected GET /products/1 to answer a product with a numeric price; observed ${lab.excerpt(first.body, 160)}`,
        first,
      );
      const reads = [];
      for (let round = 0; round < 2; round++) for (const name of shuffled(lab)) reads.push(await getJson(lab, '/products/1', name));
      const slow = reads.filter((r) => r.ms >= FAST_MS);
      const show = (r) => `${r.instance} ${Math.round(r.ms)} ms${r.headers['x-cache'] ? ` (x-cache: ${r.headers['x-cache']})` : ''}`;
      lab.assert(
        slow.length === 0,
        `Product 1 was read once through ${first.instance} (${Math.round(first.ms)} ms), so it is cached. A database read takes ${DB_MS} ms. ` +
          `Expected the next ${reads.length} reads, two through each instance, to be cache hits (under ${FAST_MS} ms); observed ${reads.map(show).join(', ')}.`,
        slow[0],
      );
    },
  },
  {
    name: 'A price change made through another instance is seen by every instance within 1 s',
    async run(lab) {
      // One instance reads (and caches) product 2 first; then every instance reads it, filling any cache of its own.
      const cachedBy = lab.pick(lab.upInstances());
      const before = await readEverywhere(lab, '/products/2', cachedBy);
      const oldPrice = before.get(cachedBy).json.price;
      const newPrice = oldPrice + 5;
      const writer = lab.pick(lab.upInstances().filter((name) => name !== cachedBy));
      const put = await putPrice(lab, 2, newPrice, writer);
      await expectEverywhere(
        lab,
        '/products/2',
        (p) => p.price === newPrice,
        (p) => (p ? `price ${p.price}` : `price ${newPrice}`),
        `Product 2 was first cached through ${cachedBy} and read through every instance; then its price went from ${oldPrice} to ${newPrice} through ${put.instance}.`,
        ' An instance that keeps its own copy (a Map, a module variable, a cache key naming the instance) does not hear about the change.',
      );
    },
  },
  {
    name: 'A read during a price change does not put the old price back in the cache',
    timeoutMs: 20_000,
    async run(lab) {
      const before = await readEverywhere(lab, '/products/1', lab.pick(lab.upInstances()));
      const oldPrice = [...before.values()][0].json.price;
      const newPrice = oldPrice + 7;
      const writer = lab.pick(lab.upInstances());
      // While the write runs (about 1.5 s: a database read, then a one-second write), keep reading, one read after
      // another, through instances the seed picks. One at a time on purpose: the first read that misses the cache
      // during the write is then the only one in flight, and if it caches the old price, nothing overwrites it.
      let writing = true;
      const put = putPrice(lab, 1, newPrice, writer).finally(() => { writing = false; });
      const reads = [];
      await lab.sleep(Math.floor(lab.random() * READ_EVERY_MS));
      while (writing && reads.length < 40) {
        reads.push(await lab.request('GET', '/products/1', { via: lab.pick(lab.upInstances()) }));
        await lab.sleep(READ_EVERY_MS);
      }
      const written = await put;
      const priceOf = (/** @type {LabResponse} */ r) => /** @type {{ price?: unknown } | null | undefined} */ (r.json)?.price;
      const odd = reads.find((r) => r.status !== 200 || (priceOf(r) !== oldPrice && priceOf(r) !== newPrice));
      lab.assert(
        !odd,
        `While the price of product 1 went from ${oldPrice} to ${newPrice}, expected every read to answer 200 with one of those two prices; ` +
          `observed ${odd?.status || 'no answer'} from ${odd?.instance ?? 'no instance'}: ${lab.excerpt(odd, 160)}`,
        odd,
      );
      const where = [...new Set(reads.map((r) => r.instance))].sort().join(', ');
      await expectEverywhere(
        lab,
        '/products/1',
        (p) => p.price === newPrice,
        (p) => (p ? `price ${p.price}` : `price ${newPrice}`),
        `The price of product 1 went from ${oldPrice} to ${newPrice} through ${written.instance}, and ${reads.length} reads (through ${where}) arrived while it was being written.`,
        ' Either an instance keeps a copy of its own, or a read that missed the cache during the write fetched the old price from the ' +
          'database and cached it again: invalidate the cache after the database write has finished, not before (or write the new value to the cache then).',
      );
    },
  },
  {
    name: 'A flag switched through one instance is the same on every instance within 1 s',
    async run(lab) {
      const before = await readEverywhere(lab, '/flags');
      const states = [...before].sort().map(([name, r]) => `${name}: ${r.json.newCheckout ? 'on' : 'off'}`);
      lab.assert(
        new Set([...before.values()].map((r) => r.json.newCheckout)).size === 1,
        `Before any change, expected every instance to agree on newCheckout; observed ${states.join(', ')}.`,
        [...before.values()][0],
      );
      let on = Boolean([...before.values()][0].json.newCheckout);
      for (let round = 0; round < 2; round++) {
        on = !on;
        const state = on ? 'on' : 'off';
        const via = lab.pick(lab.upInstances());
        const post = await lab.request('POST', `/flags/newCheckout/${state}`, { via });
        lab.assert(
          post.status === 200,
          `Expected POST /flags/newCheckout/${state} through ${via} to answer 200; observed ${post.status || 'no answer'}: ${lab.excerpt(post, 160)}`,
          post,
        );
        await expectEverywhere(
          lab,
          '/flags',
          (f) => f.newCheckout === on,
          (f) => `newCheckout ${f ? (f.newCheckout ? 'on' : 'off') : state}`,
          `newCheckout was switched ${state} through instance ${post.instance}.`,
          ' Flags must be read from the shared store on every request (or on a short, bounded refresh), not kept in the instance.',
        );
      }
    },
  },
  {
    name: 'Cached products expire on their own',
    async run(lab) {
      const via = lab.pick(lab.upInstances());
      await getJson(lab, '/products/3', via);
      const second = await getJson(lab, '/products/3', via);
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
        `Product 3 (Kettle) was just read twice through ${via}. Expected a cache entry holding it in Redis, besides the database's db: keys; observed ` +
          (keys.length ? `${keys.length} other key(s), ${keys.slice(0, 5).join(', ')}, none of which holds it.` : 'no other key at all.'),
        second,
      );
      const ttl = await redis.ttl(/** @type {string} */ (found));
      lab.assert(
        ttl > 0,
        `Expected the cache entry "${found}" to expire (a positive TTL), so that a missed invalidation heals by itself; observed TTL ${ttl} (${ttl === -1 ? 'never expires' : 'missing'}).`,
        second,
      );
    },
  },
];
