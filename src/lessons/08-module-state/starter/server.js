import express from 'express';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// Module scope: everything declared here exists once per process and is shared by every request it handles.
let nextId = 1; // the next order number
const recentOrders = []; // the latest orders, newest first
let currentUser = null; // who sent the request being handled

function readCookie(req, name) {
  const match = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '');
  return match ? decodeURIComponent(match[1]) : null;
}

// Who is asking? (A real app would use a signed session; a plain cookie keeps this lesson short.)
app.use((req, res, next) => {
  currentUser = readCookie(req, 'user');
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
  if (!currentUser) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: currentUser, instance });
});

app.post('/logout', (req, res) => {
  res.clearCookie('user');
  res.json({ ok: true, instance });
});

app.post('/orders', async (req, res) => {
  if (!currentUser) return res.status(401).json({ error: 'log in to order', instance });
  const item = String(req.body?.item ?? 'coffee');
  const price = await priceOf(item);
  const order = { id: nextId++, item, price, user: currentUser, instance };
  recentOrders.unshift(order);
  recentOrders.splice(20);
  res.status(201).json(order);
});

app.get('/orders', (req, res) => {
  res.json({ orders: recentOrders, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
