import express from 'express';
import { Redis } from 'ioredis';
import { findProduct, saveProduct } from './db.js';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);

// The cache lives in Redis: one entry per product for the whole cluster, dropped by Redis after a minute.
const CACHE_SECONDS = 60;
const cacheKey = (id) => `cache:product:${id}`;

async function getProduct(id) {
  const cached = await redis.get(cacheKey(id));
  if (cached) return { product: JSON.parse(cached), hit: true };
  const product = await findProduct(id);
  if (product) await redis.set(cacheKey(id), JSON.stringify(product), 'EX', CACHE_SECONDS);
  return { product, hit: false };
}

// Writes start from the database, never from the cache, which may hold an old price.
async function updatePrice(id, change) {
  const product = await findProduct(id);
  if (!product) return null;
  const updated = { ...product, price: change(product.price) };
  await saveProduct(updated);
  await redis.del(cacheKey(id)); // forget the old price, for every instance at once
  return updated;
}

// Feature flags live in one Redis hash, `flags`, field → "1" or "0". Fields never set keep their default.
const DEFAULT_FLAGS = { newCheckout: false, holidayBanner: false };

// Flags read from Redis, with the changes made on this instance laid over them (so a switch takes effect at once).
const overrides = {};

async function readFlags() {
  const stored = await redis.hgetall('flags');
  const flags = { ...DEFAULT_FLAGS };
  for (const name of Object.keys(flags)) if (Object.hasOwn(stored, name)) flags[name] = stored[name] === '1';
  return { ...flags, ...overrides };
}

app.get('/products/:id', async (req, res) => {
  const { product, hit } = await getProduct(req.params.id);
  if (!product) return res.status(404).json({ error: 'no such product', instance });
  console.log(`product ${product.id}: cache ${hit ? 'hit' : 'miss'}, price ${product.price}`);
  res.set('x-cache', hit ? 'hit' : 'miss').json({ ...product, instance });
});

app.put('/products/:id', async (req, res) => {
  const price = Number(req.body?.price);
  if (!(price >= 0)) return res.status(400).json({ error: 'send {"price": number}', instance });
  const updated = await updatePrice(req.params.id, () => price);
  if (!updated) return res.status(404).json({ error: 'no such product', instance });
  console.log(`product ${updated.id}: price set to ${price}`);
  res.json({ ...updated, instance });
});

// The same change without a body, for the lab's button: one more unit of money.
app.post('/products/:id/raise', async (req, res) => {
  const updated = await updatePrice(req.params.id, (price) => price + 1);
  if (!updated) return res.status(404).json({ error: 'no such product', instance });
  console.log(`product ${updated.id}: price raised to ${updated.price}`);
  res.json({ ...updated, instance });
});

app.get('/flags', async (req, res) => {
  const flags = await readFlags();
  console.log(`flags read: newCheckout is ${flags.newCheckout ? 'on' : 'off'}`);
  res.json({ ...flags, instance });
});

app.post('/flags/:name/:state', async (req, res) => {
  const { name, state } = req.params;
  if (!Object.hasOwn(DEFAULT_FLAGS, name) || !['on', 'off'].includes(state)) {
    return res.status(404).json({ error: `flags: ${Object.keys(DEFAULT_FLAGS).join(', ')}; state: on or off`, instance });
  }
  overrides[name] = state === 'on';
  console.log(`flag ${name} is now ${state}`);
  res.json({ ...(await readFlags()), instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
