import { randomBytes } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const redis = new Redis(process.env.REDIS_URL);
const IDLE_SECONDS = 45 * 60;
const COOKIE = 'lab_session';
const hashKey = (token) => `lab:session:${token}`;

function token(req) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return null;
}

async function readSession(req) {
  const t = token(req);
  if (!t || !/^[A-Za-z0-9_-]{32}$/.test(t)) return null;
  const [[, fields]] = await redis.multi().hgetall(hashKey(t)).expire(hashKey(t), IDLE_SECONDS).exec();
  return fields && fields.name ? { token: t, ...fields } : null;
}

app.post('/login', async (req, res) => {
  const name = String(req.body?.user ?? '');
  if (!name) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const t = randomBytes(24).toString('base64url');
  await redis.multi().hset(hashKey(t), { name, since: Date.now(), via: instance }).expire(hashKey(t), IDLE_SECONDS).exec();
  res.cookie(COOKIE, t, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: IDLE_SECONDS * 1000 });
  res.status(201).json({ me: { name }, instance });
});

app.get('/me', async (req, res) => {
  const session = await readSession(req);
  res.json({ me: session ? { name: session.name, since: Number(session.since) } : null, instance });
});

app.post('/logout', async (req, res) => {
  const t = token(req);
  if (t) await redis.unlink(hashKey(t));
  res.clearCookie(COOKIE, { path: '/' });
  res.status(204).end();
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
