import express from 'express';
import { findProduct, saveProduct } from './db.js';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// A cache in front of the slow database: product id → { product, expiresAt }. It lives in this process only.
const CACHE_SECONDS = 60;
const cache = new Map();

async function getProduct(id) {
  const entry = cache.get(id);
  if (entry && entry.expiresAt > Date.now()) return { product: entry.product, hit: true };
  const product = await findProduct(id);
  if (product) cache.set(id, { product, expiresAt: Date.now() + CACHE_SECONDS * 1000 });
  return { product, hit: false };
}

// Writes start from the database, never from the cache, which may hold an old price.
async function updatePrice(id, change) {
  const product = await findProduct(id);
  if (!product) return null;
  const updated = { ...product, price: change(product.price) };
  await saveProduct(updated);
  cache.delete(id); // forget the old price… on this instance
  return updated;
}

// Feature flags: switched on and off at run time, without a deploy. Also kept in this process only.
const flags = { newCheckout: false, holidayBanner: false };

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

app.get('/flags', (req, res) => {
  console.log(`flags read: newCheckout is ${flags.newCheckout ? 'on' : 'off'}`);
  res.json({ ...flags, instance });
});

app.post('/flags/:name/:state', (req, res) => {
  const { name, state } = req.params;
  if (!Object.hasOwn(flags, name) || !['on', 'off'].includes(state)) {
    return res.status(404).json({ error: `flags: ${Object.keys(flags).join(', ')}; state: on or off`, instance });
  }
  flags[name] = state === 'on';
  console.log(`flag ${name} is now ${state}`);
  res.json({ ...flags, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
