// The documented setup with one line left out: Express is not told to trust the TLS-terminating balancer,
// so every request looks like plain http to it and express-session never sends its Secure cookie.
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const redisClient = new Redis(process.env.REDIS_URL);
const redisStore = new RedisStore({ client: redisClient, prefix: 'myapp:' });

const app = express();
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
