import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const redis = new Redis(process.env.REDIS_URL);
const SESSION_SECONDS = 60 * 60;
const key = (id) => `session:${id}`;

function cookie(req, name) {
  const match = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '');
  return match ? decodeURIComponent(match[1]) : undefined;
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomUUID();
  await redis.set(key(id), user, 'EX', SESSION_SECONDS);
  res.cookie('sid', id, { httpOnly: true, sameSite: 'lax' });
  // The page shows the name, so it gets its own cookie.
  res.cookie('name', user, { sameSite: 'lax' });
  res.json({ user, instance });
});

app.get('/me', (req, res) => {
  // Having a session cookie means having logged in.
  if (!cookie(req, 'sid')) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: cookie(req, 'name') ?? null, instance });
});

app.post('/logout', async (req, res) => {
  const id = cookie(req, 'sid');
  if (id) await redis.del(key(id));
  res.clearCookie('sid');
  res.clearCookie('name');
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
