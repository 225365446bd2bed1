import express from 'express';
import { readFile, writeFile } from 'node:fs/promises';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// Orders are kept in a JSON file next to the server, not in memory: it is still there after a restart.
const STORE = new URL('./orders.json', import.meta.url);

async function load() {
  try {
    return JSON.parse(await readFile(STORE, 'utf8'));
  } catch {
    return { nextId: 1, recent: [] };
  }
}

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

app.post('/orders', async (req, res) => {
  if (!req.user) return res.status(401).json({ error: 'log in to order', instance });
  const item = String(req.body?.item ?? 'coffee');
  const store = await load();
  const price = await priceOf(item);
  const order = { id: store.nextId, item, price, user: req.user, instance };
  store.nextId += 1;
  store.recent = [order, ...store.recent].slice(0, 20);
  await writeFile(STORE, JSON.stringify(store));
  res.status(201).json(order);
});

app.get('/orders', async (req, res) => {
  const { recent } = await load();
  res.json({ orders: recent, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
