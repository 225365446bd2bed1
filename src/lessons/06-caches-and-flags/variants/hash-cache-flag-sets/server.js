import express from 'express';
import { Redis } from 'ioredis';
import { findProduct, saveProduct } from './db.js';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);

// The cache lives in Redis: one entry per product for the whole cluster, dropped by Redis after a minute.
// Each cached product is a Redis hash of its fields, created with its expiry in one MULTI.
const CACHE_SECONDS = 60;
const cacheKey = (id) => `products:cached:${id}`;

async function getProduct(id) {
  const fields = await redis.hgetall(cacheKey(id));
  if (fields.id !== undefined) return { product: { id: Number(fields.id), name: fields.name, price: Number(fields.price) }, hit: true };
  const product = await findProduct(id);
  if (product) {
    await redis.multi().hset(cacheKey(id), { id: product.id, name: product.name, price: product.price }).expire(cacheKey(id), CACHE_SECONDS).exec();
  }
  return { product, hit: false };
}

// Writes start from the database, never from the cache, which may hold an old price.
async function updatePrice(id, change) {
  const product = await findProduct(id);
  if (!product) return null;
  const updated = { ...product, price: change(product.price) };
  await saveProduct(updated);
  await redis.unlink(cacheKey(id)); // only once the database has the new price
  return updated;
}

// Flags that are on are members of one Redis set; flags switched off are members of another. A flag in neither keeps
// its default. Both sets are read on every request.
const DEFAULT_FLAGS = { newCheckout: false, holidayBanner: false };

async function readFlags() {
  const [[, on], [, off]] = await redis.multi().smembers('flags:on').smembers('flags:off').exec();
  const flags = { ...DEFAULT_FLAGS };
  for (const name of Object.keys(flags)) {
    if (on.includes(name)) flags[name] = true;
    else if (off.includes(name)) flags[name] = false;
  }
  return flags;
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
  const [to, from] = state === 'on' ? ['flags:on', 'flags:off'] : ['flags:off', 'flags:on'];
  await redis.multi().srem(from, name).sadd(to, name).exec();
  console.log(`flag ${name} is now ${state}, for every instance`);
  res.json({ ...(await readFlags()), instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
