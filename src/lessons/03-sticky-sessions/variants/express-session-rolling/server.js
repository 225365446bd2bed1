import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const COOKIE = 'sticky.sid';
app.use(
  session({
    name: COOKIE,
    store: new RedisStore({ client: new Redis(process.env.REDIS_URL), prefix: 'sticky:' }),
    secret: [process.env.SESSION_SECRET ?? 'stateless-lab-secret'],
    resave: false,
    rolling: true,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 15 * 60 * 1000 },
  }),
);

app.post('/login', (req, res, next) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.who = { user, since: Date.now() };
    res.json({ user, instance });
  });
});

app.get('/me', (req, res) => {
  const who = req.session.who;
  if (!who) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: who.user, since: who.since, instance });
});

app.post('/logout', (req, res, next) => {
  req.session.destroy((error) => {
    if (error) return next(error);
    res.clearCookie(COOKIE);
    res.json({ ok: true, instance });
  });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
