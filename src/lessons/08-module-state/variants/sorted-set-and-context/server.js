import express from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// Nothing about orders or users lives in module scope any more: shared state is in Redis, per-request state on req.
// The Redis client itself is fine here: it holds a connection, not data.
const redis = new Redis(process.env.REDIS_URL);

function readCookie(req, name) {
  const match = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '');
  return match ? decodeURIComponent(match[1]) : null;
}

// Who is asking? Each request runs in its own AsyncLocalStorage context, so every await of this request sees its
// own user. (A real app would use a signed session; a plain cookie keeps this lesson short.)
const requestContext = new AsyncLocalStorage();
const currentUser = () => requestContext.getStore()?.user ?? null;
app.use((req, res, next) => {
  requestContext.run({ user: readCookie(req, 'user') }, next);
});

// Stands in for a call to a pricing service: it takes a little while.
async function priceOf(item) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return 100 + item.length * 10;
}

app.post('/login', (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  res.cookie('user', user, { httpOnly: true, sameSite: 'lax' });
  res.json({ user, instance });
});

app.get('/me', (req, res) => {
  if (!currentUser()) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: currentUser(), instance });
});

app.post('/logout', (req, res) => {
  res.clearCookie('user');
  res.json({ ok: true, instance });
});

// The number comes from HINCRBY on a hash of counters; each order is a hash of its own, and a sorted set scored
// by number keeps the latest 20 of them.
app.post('/orders', async (req, res) => {
  if (!currentUser()) return res.status(401).json({ error: 'log in to order', instance });
  const item = String(req.body?.item ?? 'coffee');
  const price = await priceOf(item);
  const id = await redis.hincrby('counters', 'order', 1);
  const order = { id, item, price, user: currentUser(), instance };
  await redis
    .multi()
    .hset(`order:${id}`, { item, price, user: order.user, instance })
    .expire(`order:${id}`, 86_400)
    .zadd('orders:by-number', id, String(id))
    .zremrangebyrank('orders:by-number', 0, -21)
    .exec();
  res.status(201).json(order);
});

app.get('/orders', async (req, res) => {
  const ids = await redis.zrevrange('orders:by-number', 0, 19);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(`order:${id}`);
  const rows = (await pipeline.exec()) ?? [];
  const orders = rows
    .map(([, fields], i) => ({ id: Number(ids[i]), ...fields, price: Number(fields.price) }))
    .filter((o) => o.item !== undefined);
  res.json({ orders, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
