import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);
const key = (id) => `session:${id}`;

function sessionId(req) {
  const match = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomUUID();
  await redis.set(key(id), user, 'EX', 3600);
  // The id is returned in the body, but no cookie carries it back.
  res.json({ user, sessionId: id, instance });
});

app.get('/me', async (req, res) => {
  const id = sessionId(req);
  const userId = id ? await redis.get(key(id)) : null;
  res.json({ userId, instance });
});

app.post('/logout', async (req, res) => {
  const id = sessionId(req);
  if (id) await redis.del(key(id));
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
