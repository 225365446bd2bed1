import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const redis = new Redis(process.env.REDIS_URL);
const SESSION_SECONDS = 60 * 60;
const key = (id) => `session:${id}`;
// Saves a Redis round trip on every visit: sessions this instance has already seen.
const seen = new Map();

function sessionId(req) {
  const match = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

async function lookUp(id) {
  if (seen.has(id)) return seen.get(id);
  const user = await redis.get(key(id));
  if (user) seen.set(id, user);
  return user;
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomUUID();
  await redis.set(key(id), user, 'EX', SESSION_SECONDS);
  seen.set(id, user);
  res.cookie('sid', id, { httpOnly: true, sameSite: 'lax' });
  res.json({ user, instance });
});

app.get('/me', async (req, res) => {
  const id = sessionId(req);
  const user = id ? await lookUp(id) : null;
  if (!user) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user, instance });
});

app.post('/logout', async (req, res) => {
  const id = sessionId(req);
  if (id) {
    seen.delete(id);
    await redis.del(key(id));
  }
  res.clearCookie('sid');
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
