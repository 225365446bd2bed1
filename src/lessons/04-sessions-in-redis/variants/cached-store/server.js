import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// One Redis for every instance: any of them can read a session another one wrote.
const client = new Redis(process.env.REDIS_URL);

// Every visit loads the session; keeping the ones already loaded saves a round trip to Redis.
class CachedRedisStore extends RedisStore {
  cache = new Map();

  get(sid, callback) {
    if (this.cache.has(sid)) return callback(null, structuredClone(this.cache.get(sid)));
    super.get(sid, (error, sess) => {
      if (!error && sess) this.cache.set(sid, sess);
      callback(error, sess);
    });
  }

  set(sid, sess, callback) {
    this.cache.set(sid, structuredClone(sess));
    super.set(sid, sess, callback);
  }

  destroy(sid, callback) {
    this.cache.delete(sid);
    super.destroy(sid, callback);
  }
}

app.use(
  session({
    store: new CachedRedisStore({ client, prefix: 'sess:', ttl: 60 * 60 }),
    // Every instance must sign cookies with the same secret, or they reject each other's cookies.
    secret: process.env.SESSION_SECRET ?? 'stateless-lab-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 60 * 60 * 1000 },
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
