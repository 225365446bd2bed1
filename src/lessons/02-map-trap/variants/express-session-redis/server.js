import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// The balancer terminates TLS; 'auto' marks the cookie Secure whenever X-Forwarded-Proto says https.
app.set('trust proxy', 1);
app.use(
  session({
    name: 'maptrap.sid',
    store: new RedisStore({ client: new Redis(process.env.REDIS_URL), prefix: 'maptrap:sess:' }),
    secret: process.env.SESSION_SECRET ?? 'stateless-lab-secret', // one secret for every instance
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, secure: 'auto', sameSite: 'lax', maxAge: 20 * 60 * 1000 },
  }),
);

app.post('/login', (req, res, next) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  // A fresh id at login, so an id handed out before the login cannot be reused after it.
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.name = user;
    res.json({ name: user, instance });
  });
});

app.get('/me', (req, res) => {
  if (!req.session.name) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ name: req.session.name, instance });
});

app.post('/logout', (req, res, next) => {
  req.session.destroy((error) => {
    if (error) return next(error);
    res.clearCookie('maptrap.sid');
    res.json({ ok: true, instance });
  });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
