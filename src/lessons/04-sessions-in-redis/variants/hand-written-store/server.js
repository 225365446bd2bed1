import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

const redis = new Redis(process.env.REDIS_URL);
const FALLBACK_SECONDS = 60 * 60;

/** A session store of our own: one JSON string per session in the shared Redis, expiring with its cookie. */
class SharedStore extends session.Store {
  key(sid) {
    return `app:session:${sid}`;
  }

  seconds(sess) {
    const expires = sess?.cookie?.expires ? new Date(sess.cookie.expires).getTime() : NaN;
    return Number.isFinite(expires) ? Math.max(1, Math.ceil((expires - Date.now()) / 1000)) : FALLBACK_SECONDS;
  }

  get(sid, done) {
    redis.get(this.key(sid)).then((text) => done(null, text ? JSON.parse(text) : null), done);
  }

  set(sid, sess, done) {
    redis.set(this.key(sid), JSON.stringify(sess), 'EX', this.seconds(sess)).then(() => done?.(), done);
  }

  touch(sid, sess, done) {
    redis.expire(this.key(sid), this.seconds(sess)).then(() => done?.(), done);
  }

  destroy(sid, done) {
    redis.del(this.key(sid)).then(() => done?.(), done);
  }
}

app.use(
  session({
    store: new SharedStore(),
    secret: process.env.SESSION_SECRET ?? 'stateless-lab-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 30 * 60 * 1000 },
  }),
);

app.post('/login', (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  req.session.profile = { username: user };
  res.json({ username: user, instance });
});

app.get('/me', (req, res) => {
  const profile = req.session.profile;
  if (!profile) return res.status(403).json({ error: 'log in first', instance });
  res.json({ username: profile.username, instance });
});

app.post('/logout', (req, res, next) => {
  req.session.destroy((error) => {
    if (error) return next(error);
    res.clearCookie('connect.sid');
    res.json({ ok: true, instance });
  });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
