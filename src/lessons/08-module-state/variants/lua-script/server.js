import express from 'express';
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

// Who is asking? It belongs to this request, so it goes on the request object.
// (A real app would use a signed session; a plain cookie keeps this lesson short.)
app.use((req, res, next) => {
  req.user = readCookie(req, 'user');
  next();
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
  if (!req.user) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: req.user, instance });
});

app.post('/logout', (req, res) => {
  res.clearCookie('user');
  res.json({ ok: true, instance });
});

// One Lua script takes the next number and records the order, inside Redis, as one step.
redis.defineCommand('placeOrder', {
  numberOfKeys: 2,
  lua: `
    local id = redis.call('INCR', KEYS[1])
    local order = cjson.decode(ARGV[1])
    order.id = id
    local line = cjson.encode(order)
    redis.call('LPUSH', KEYS[2], line)
    redis.call('LTRIM', KEYS[2], 0, 19)
    return line
  `,
});

app.post('/orders', async (req, res) => {
  if (!req.user) return res.status(401).json({ error: 'log in to order', instance });
  const item = String(req.body?.item ?? 'coffee');
  const price = await priceOf(item);
  const line = await redis.placeOrder('shop:order-seq', 'shop:latest-orders', JSON.stringify({ item, price, user: req.user, instance }));
  res.status(201).json(JSON.parse(line));
});

app.get('/orders', async (req, res) => {
  const orders = (await redis.lrange('shop:latest-orders', 0, -1)).map((line) => JSON.parse(line));
  res.json({ orders, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
