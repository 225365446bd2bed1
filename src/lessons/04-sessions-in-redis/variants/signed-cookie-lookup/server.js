import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const redis = new Redis(process.env.REDIS_URL);
const SECRET = process.env.SESSION_SECRET ?? 'stateless-lab-secret';
const IDLE_SECONDS = 30 * 60;
const COOKIE = 'auth';

const mac = (id) => createHmac('sha256', SECRET).update(`session:${id}`).digest('hex');
const keyOf = (id) => `auth:${id}`;

/** The session id from a cookie `<id>.<mac>`, or null when it is missing or its signature does not match. */
function verifiedId(req) {
  const header = req.headers.cookie ?? '';
  const pair = header.split(';').map((p) => p.trim()).find((p) => p.startsWith(`${COOKIE}=`));
  const value = pair?.slice(COOKIE.length + 1) ?? '';
  const dot = value.indexOf('.');
  if (dot < 1) return null;
  const id = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'utf8');
  const wanted = Buffer.from(mac(id), 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? id : null;
}

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomBytes(18).toString('hex');
  await redis.pipeline().hset(keyOf(id), 'user', user, 'at', new Date().toISOString()).expire(keyOf(id), IDLE_SECONDS).exec();
  res.setHeader('Set-Cookie', `${COOKIE}=${id}.${mac(id)}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${IDLE_SECONDS}`);
  res.json({ user, instance });
});

app.get('/me', async (req, res) => {
  const id = verifiedId(req);
  const user = id ? await redis.hget(keyOf(id), 'user') : null;
  if (!user) return res.status(401).json({ error: 'not logged in', instance });
  await redis.expire(keyOf(id), IDLE_SECONDS);
  res.json({ user, instance });
});

app.post('/logout', async (req, res) => {
  const id = verifiedId(req);
  if (id) await redis.del(keyOf(id));
  res.setHeader('Set-Cookie', `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0`);
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
