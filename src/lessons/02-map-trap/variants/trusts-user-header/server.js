import { randomUUID } from 'node:crypto';
import express from 'express';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// The lab's users seemed to announce themselves in a header, so the Map is only a fallback.
const sessions = new Map();

function sessionId(req) {
  const match = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

function currentUser(req) {
  return req.get('x-lab-user') ?? sessions.get(sessionId(req));
}

app.post('/login', (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  const id = randomUUID();
  sessions.set(id, user);
  res.cookie('sid', id, { httpOnly: true, sameSite: 'lax' });
  res.json({ user, instance });
});

app.get('/me', (req, res) => {
  const user = currentUser(req);
  if (!user) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user, instance });
});

app.post('/logout', (req, res) => {
  sessions.delete(sessionId(req));
  res.clearCookie('sid');
  res.json({ ok: true, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
