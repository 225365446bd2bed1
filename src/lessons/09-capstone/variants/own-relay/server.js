import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const instance = process.env.INSTANCE_ID;
const app = express();
app.use(express.json());

const redis = new Redis(process.env.REDIS_URL);

// Sessions: in Redis, renewed on every request, for half an hour of inactivity.
app.use(
  session({
    name: 'sid',
    store: new RedisStore({ client: redis, prefix: 'capstone:session:' }),
    secret: process.env.SESSION_SECRET ?? 'stateless-lab-secret',
    resave: false,
    rolling: true,
    saveUninitialized: false,
    cookie: { httpOnly: true, secure: 'auto', sameSite: 'lax', maxAge: 30 * 60 * 1000 },
  }),
);
app.set('trust proxy', 1);

app.post('/login', (req, res, next) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}' });
  // A fresh session id at login, so an id handed out before cannot be carried into the account.
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.user = user;
    res.json({ user, instance });
  });
});

app.get('/me', (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: 'not logged in' });
  res.json({ user: req.session.user, instance });
});

app.post('/logout', (req, res, next) => {
  req.session.destroy((error) => {
    if (error) return next(error);
    res.clearCookie('sid').json({ ok: true });
  });
});

// Quotes: INCR counts in Redis; the first call of a window gives the key its lifetime.
const LIMIT = 10;
const WINDOW_MS = 60_000;
app.get('/api/quote', async (req, res, next) => {
  try {
    const key = `capstone:quota:${String(req.query.client ?? 'anonymous')}`;
    const [[, count], [, ttl]] = await redis.multi().incr(key).pttl(key).exec();
    if (ttl < 0) await redis.pexpire(key, WINDOW_MS);
    if (count > LIMIT) return res.status(429).json({ error: `at most ${LIMIT} quotes a minute` });
    res.json({ quote: (100 + Math.random() * 5).toFixed(2), remaining: LIMIT - count, instance });
  } catch (error) {
    next(error);
  }
});

app.get('/', (req, res) => res.sendFile('chat.html', { root: import.meta.dirname }));

const server = app.listen(Number(process.env.PORT), () => console.log(`instance ${instance} listening on ${process.env.PORT}`));

// Chat: socket.io with its default adapter, and a relay of our own. A message is published on one Redis channel;
// every instance is subscribed and hands it to the sockets of that room that it holds.
const io = new Server(server);
const CHANNEL = 'capstone:chat';
const subscriber = redis.duplicate();
subscriber.subscribe(CHANNEL);
subscriber.on('message', (channel, raw) => {
  if (channel !== CHANNEL) return;
  const { room, message } = JSON.parse(raw);
  io.local.to(room).emit('message', message);
});

io.on('connection', (socket) => {
  const user = String(socket.handshake.auth.user ?? 'guest');
  const room = String(socket.handshake.auth.room ?? 'lobby');
  socket.join(room);
  socket.emit('welcome', { instance, room });
  socket.on('say', async (text, ack) => {
    const message = { user, text: String(text), via: instance };
    try {
      await redis.publish(CHANNEL, JSON.stringify({ room, message }));
      if (typeof ack === 'function') ack({ ok: true });
    } catch (error) {
      if (typeof ack === 'function') ack({ ok: false, error: error.message });
    }
  });
});
