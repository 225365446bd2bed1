import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const app = express();
// The balancer in front terminates TLS: browsers speak https to it, this process gets plain http with
// X-Forwarded-Proto: https. Trusting that one hop lets Express see the request as secure.
app.set('trust proxy', 1);
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// One Redis for every instance: any of them can read a session another one wrote.
const client = new Redis(process.env.REDIS_URL);

app.use(
  session({
    store: new RedisStore({ client, prefix: 'sess:', ttl: 60 * 60 }),
    // Every instance must sign cookies with the same secret, or they reject each other's cookies.
    secret: process.env.SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
    // Secure: the browser sends the cookie over https only, and express-session sets it only on a secure request.
    cookie: { secure: true, httpOnly: true, sameSite: 'lax', maxAge: 60 * 60 * 1000 },
  }),
);

app.post('/login', (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  req.session.user = user;
  res.json({ user, instance });
});

app.get('/me', (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: req.session.user, instance });
});

app.post('/logout', (req, res) => {
  req.session.destroy(() => {
    res.clearCookie('connect.sid');
    res.json({ ok: true, instance });
  });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
