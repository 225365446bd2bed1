// Written the way the express-session and connect-redis READMEs show it: connect-redis 8 with an ioredis client,
// a Secure cookie behind a trusted proxy, sessions created only at login, and /me answering { userId }.
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const redisClient = new Redis(process.env.REDIS_URL);
const redisStore = new RedisStore({ client: redisClient, prefix: 'myapp:' });

const app = express();
app.set('trust proxy', 1); // trust first proxy
app.use(express.json());
app.use(
  session({
    store: redisStore,
    secret: process.env.SESSION_SECRET,
    resave: false, // required: force lightweight session keep alive (touch)
    saveUninitialized: false, // recommended: only save session when data exists
    cookie: { secure: true, maxAge: 24 * 60 * 60 * 1000 },
  }),
);

app.post('/login', (req, res, next) => {
  // regenerate the session, which is good practice to help guard against forms of session fixation
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.userId = req.body.user;
    req.session.save((err) => {
      if (err) return next(err);
      res.json({ userId: req.session.userId });
    });
  });
});

app.get('/me', (req, res) => {
  res.json({ userId: req.session.userId ?? null });
});

app.post('/logout', (req, res, next) => {
  req.session.userId = null;
  req.session.save((err) => {
    if (err) return next(err);
    req.session.regenerate((err) => {
      if (err) return next(err);
      res.json({ ok: true });
    });
  });
});

app.get('/', (req, res) => res.json({ instance: process.env.INSTANCE_ID }));

app.listen(process.env.PORT);
