import { createAdapter } from '@socket.io/redis-adapter';
import express from 'express';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const instance = process.env.INSTANCE_ID;
const app = express();
app.use(express.json());

app.get('/', (req, res) => res.sendFile('chat.html', { root: import.meta.dirname }));

const server = app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});

const redis = new Redis(process.env.REDIS_URL);
const io = new Server(server, { adapter: createAdapter(redis.duplicate(), redis.duplicate()) });

// Presence: every instance owns one set per room, "here:<room>:<instance>", holding the ids of the sockets it
// serves in that room. The set expires unless its owner keeps renewing it, so when an instance dies its people
// drop out of the count within a few seconds, disconnect handlers or not. "rooms-of:<room>" lists the owners.
const TTL_MS = 3000;
const here = (room) => `here:${room}:${instance}`;
const owners = (room) => `rooms-of:${room}`;
/** room → ids of the sockets this instance holds in it */
const held = new Map();

async function renew(room) {
  const ids = [...(held.get(room) ?? [])];
  const tx = redis.multi().del(here(room));
  if (ids.length) tx.sadd(here(room), ...ids).pexpire(here(room), TTL_MS).sadd(owners(room), instance).pexpire(owners(room), 24 * 3600 * 1000);
  await tx.exec();
}

setInterval(() => {
  for (const room of held.keys()) renew(room).catch((error) => console.error('presence renewal failed:', error.message));
}, 1000).unref();

io.on('connection', async (socket) => {
  const user = String(socket.handshake.auth.user ?? 'guest');
  const room = String(socket.handshake.auth.room ?? 'lobby');
  socket.join(room);
  if (!held.has(room)) held.set(room, new Set());
  held.get(room).add(socket.id);
  socket.on('disconnect', () => {
    held.get(room)?.delete(socket.id);
    if (held.get(room)?.size === 0) held.delete(room);
    void redis.srem(here(room), socket.id);
  });
  socket.on('say', (text, ack) => {
    io.in(room).emit('message', { user, text: String(text), via: instance });
    if (typeof ack === 'function') ack({ ok: true });
  });
  await renew(room);
  socket.emit('welcome', { instance, room });
});

app.get('/online', async (req, res) => {
  const room = String(req.query.room ?? 'lobby');
  const names = await redis.smembers(owners(room));
  let online = 0;
  for (const name of names) online += await redis.scard(`here:${room}:${name}`);
  res.json({ room, online, instance });
});

app.post('/announce', (req, res) => {
  const room = String(req.body?.room ?? 'lobby');
  const text = String(req.body?.text ?? `Announcement sent through instance ${instance}`);
  io.in(room).emit('message', { user: 'server', text, via: instance });
  res.json({ ok: true, room, instance });
});
