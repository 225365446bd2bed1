import express from 'express';
import session from 'express-session';
import { Server } from 'socket.io';

const instance = process.env.INSTANCE_ID;
const app = express();
// Behind the TLS-terminating balancer: trust its X-Forwarded-Proto, so the Secure session cookie is sent.
app.set('trust proxy', 1);
app.use(express.json());

// ---- 1. Sessions ----------------------------------------------------------------------------------------------
app.use(
  session({
    // No store: express-session keeps every session in this process's memory.
    secret: process.env.SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
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

// ---- 2. Rate limit: each client may ask for LIMIT quotes per minute -------------------------------------------
const LIMIT = 10;
const WINDOW_SECONDS = 60;
const calls = new Map(); // client → { count, resetAt }, in this process only

app.get('/api/quote', (req, res) => {
  const client = String(req.query.client ?? 'anonymous');
  const now = Date.now();
  let entry = calls.get(client);
  if (!entry || entry.resetAt <= now) {
    entry = { count: 0, resetAt: now + WINDOW_SECONDS * 1000 };
    calls.set(client, entry);
  }
  entry.count++;
  if (entry.count > LIMIT) return res.status(429).json({ error: `at most ${LIMIT} quotes a minute`, instance });
  res.json({ quote: (100 + Math.random() * 5).toFixed(2), remaining: LIMIT - entry.count, instance });
});

// ---- 3. Chat ---------------------------------------------------------------------------------------------------
app.get('/', (req, res) => res.sendFile('chat.html', { root: import.meta.dirname }));

const server = app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});

// The default adapter: rooms contain only the sockets connected to this process.
const io = new Server(server);

io.on('connection', (socket) => {
  const user = String(socket.handshake.auth.user ?? 'guest');
  const room = String(socket.handshake.auth.room ?? 'lobby');
  socket.join(room);
  socket.emit('welcome', { instance, room });
  socket.on('say', (text, ack) => {
    io.to(room).emit('message', { user, text: String(text), via: instance });
    if (typeof ack === 'function') ack({ ok: true });
  });
});
