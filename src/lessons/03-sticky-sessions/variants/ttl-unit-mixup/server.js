import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// Sessions live in the shared Redis. The balancer may stay sticky: that now only decides which instance
// answers, not whether the user is still logged in.
const redis = new Redis(process.env.REDIS_URL);
const SESSION_SECONDS = 30 * 60;
const key = (id) => `session:${id}`;

function sessionId(req) {
  const match = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomUUID();
  await redis.set(key(id), user, 'PX', SESSION_SECONDS);
  res.cookie('sid', id, { httpOnly: true, sameSite: 'lax' });
  console.log(`${user} logged in on ${instance}; session kept in Redis`);
  res.json({ user, instance });
});

app.get('/me', async (req, res) => {
  const id = sessionId(req);
  const user = id ? await redis.get(key(id)) : null;
  if (!user) return res.status(401).json({ error: 'not logged in', instance });
  await redis.pexpire(key(id), SESSION_SECONDS); // sliding expiry: an active user stays logged in
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
