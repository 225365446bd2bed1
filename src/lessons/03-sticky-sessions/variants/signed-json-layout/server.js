import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// The balancer stays sticky; the session itself is one JSON document in the shared Redis.
const redis = new Redis(process.env.REDIS_URL);
const SECRET = process.env.SESSION_SECRET ?? 'stateless-lab-secret';
const LIFETIME_MS = 20 * 60 * 1000;
const docKey = (id) => `sticky:sess:${id}`;

const sign = (id) => createHmac('sha256', SECRET).update(id).digest('base64url');

function readCookie(req) {
  const raw = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith('sticky_session='));
  if (!raw) return null;
  const [id, mac] = decodeURIComponent(raw.slice('sticky_session='.length)).split('.');
  if (!id || !mac) return null;
  const expected = Buffer.from(sign(id));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : null;
}

app.post('/login', async (req, res) => {
  const userId = String(req.body?.user ?? '');
  if (!userId) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomBytes(16).toString('hex');
  await redis.set(docKey(id), JSON.stringify({ userId, createdAt: new Date().toISOString(), createdOn: instance }), 'PX', LIFETIME_MS);
  res.cookie('sticky_session', `${id}.${sign(id)}`, { httpOnly: true, sameSite: 'lax', secure: true });
  res.json({ userId, instance });
});

app.get('/me', async (req, res) => {
  const id = readCookie(req);
  const doc = id ? await redis.get(docKey(id)) : null;
  if (!doc) return res.status(401).json({ userId: null, instance });
  await redis.pexpire(docKey(id), LIFETIME_MS);
  const { userId, createdOn } = JSON.parse(doc);
  res.json({ userId, createdOn, instance });
});

app.post('/logout', async (req, res) => {
  const id = readCookie(req);
  if (id) await redis.del(docKey(id));
  res.clearCookie('sticky_session', { httpOnly: true, sameSite: 'lax', secure: true });
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
