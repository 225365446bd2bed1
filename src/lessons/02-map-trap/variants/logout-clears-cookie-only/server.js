import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const redis = new Redis(process.env.REDIS_URL);
const SESSION_SECONDS = 60 * 60;
const key = (id) => `session:${id}`;

function sessionId(req) {
  const match = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomUUID();
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

// The browser forgets the cookie, so the user looks logged out… but the session itself lives on in Redis.
app.post('/logout', (req, res) => {
  res.clearCookie('sid');
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
