import { createAdapter } from '@socket.io/redis-adapter';
import express from 'express';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const instance = process.env.INSTANCE_ID;
const app = express();
app.use(express.json());

// The chat page: open http://127.0.0.1:3000/ in two tabs.
app.get('/', (req, res) => res.sendFile('chat.html', { root: import.meta.dirname }));

const server = app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});

// socket.io shares the HTTP server. The Redis adapter publishes every room broadcast on Redis, and every instance
// subscribes, so each one delivers it to its own sockets. A subscribed connection can do nothing else: two clients.
const pub = new Redis(process.env.REDIS_URL);
const sub = pub.duplicate();
const io = new Server(server, { adapter: createAdapter(pub, sub) });
// Presence as a Redis set of socket ids per room, so nobody is counted twice.
const redis = pub.duplicate();
const membersKey = (room) => `members:${room}`;

io.on('connection', async (socket) => {
  const user = String(socket.handshake.auth.user ?? 'guest');
  const room = String(socket.handshake.auth.room ?? 'lobby');
  socket.join(room);
  await redis.sadd(membersKey(room), socket.id);
  socket.on('disconnect', () => void redis.srem(membersKey(room), socket.id));
  socket.emit('welcome', { instance, room });

  socket.on('say', (text, ack) => {
    io.to(room).emit('message', { user, text: String(text), via: instance });
    if (typeof ack === 'function') ack({ ok: true });
  });
});

// Who is in a room right now? The size of the shared set.
app.get('/online', async (req, res) => {
  const room = String(req.query.room ?? 'lobby');
  const online = await redis.scard(membersKey(room));
  res.json({ room, online, instance });

});

// A message from the server side, e.g. "your order has shipped", sent by whichever instance got this request.
app.post('/announce', (req, res) => {
  const room = String(req.body?.room ?? 'lobby');
  const text = String(req.body?.text ?? `Announcement sent through instance ${instance}`);
  io.to(room).emit('message', { user: 'server', text, via: instance });
  res.json({ ok: true, room, instance });
});
