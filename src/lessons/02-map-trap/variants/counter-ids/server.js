import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// Sessions live in Redis, which every instance shares. They expire after an hour of not being renewed.
const redis = new Redis(process.env.REDIS_URL);
const SESSION_SECONDS = 60 * 60;
const key = (id) => `session:${id}`;
let lastId = 0; // session ids: 1, 2, 3…

function sessionId(req) {
  const match = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = String(++lastId);
  await redis.set(key(id), user, 'EX', SESSION_SECONDS);
  res.cookie('sid', id, { httpOnly: true, sameSite: 'lax' });
  res.json({ user, instance });
});

app.get('/me', async (req, res) => {
  const id = sessionId(req);
  const user = id ? await redis.get(key(id)) : null;
  if (!user) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user, instance });
});

app.post('/logout', async (req, res) => {
  const id = sessionId(req);
  if (id) await redis.del(key(id));
  res.clearCookie('sid');
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
