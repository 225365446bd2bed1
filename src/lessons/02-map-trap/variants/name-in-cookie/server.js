import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// Who is logged in is shared in Redis; the cookie just says who you are.
const redis = new Redis(process.env.REDIS_URL);
const SESSION_SECONDS = 60 * 60;
const key = (user) => `session:${user}`;

function cookieUser(req) {
  const match = /(?:^|;\s*)user=([^;]+)/.exec(req.headers.cookie ?? '');
  return match ? decodeURIComponent(match[1]) : undefined;
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  await redis.set(key(user), new Date().toISOString(), 'EX', SESSION_SECONDS);
  res.cookie('user', user, { httpOnly: true, sameSite: 'lax' });
  res.json({ user, instance });
});

app.get('/me', async (req, res) => {
  const user = cookieUser(req);
  if (!user || !(await redis.exists(key(user)))) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user, instance });
});

app.post('/logout', async (req, res) => {
  const user = cookieUser(req);
  if (user) await redis.del(key(user));
  res.clearCookie('user');
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
