import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const instance = process.env.INSTANCE_ID;
const page = path.join(import.meta.dirname, 'chat.html');

/** @param {http.ServerResponse} res @param {number} status @param {unknown} body */
function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** @param {http.IncomingMessage} req */
async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://lab');
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(await fs.readFile(page));
  } else if (req.method === 'GET' && url.pathname === '/online') {
    const room = url.searchParams.get('room') ?? 'lobby';
    // The adapter asks every instance for its sockets in the room.
    const sockets = await io.in(room).fetchSockets();
    sendJson(res, 200, { room, online: sockets.length, instance });
  } else if (req.method === 'POST' && url.pathname === '/announce') {
    const body = await readJson(req);
    const room = String(body.room ?? 'lobby');
    io.in(room).emit('message', { user: 'server', text: String(body.text ?? `Announcement from ${instance}`), via: instance });
    sendJson(res, 200, { ok: true, room, instance });
  } else if (!url.pathname.startsWith('/socket.io/')) {
    sendJson(res, 404, { error: 'not found' });
  }
});

const io = new Server(server);
// Two connections of their own: one publishes, the other only listens.
io.adapter(createAdapter(new Redis(process.env.REDIS_URL), new Redis(process.env.REDIS_URL)));

io.on('connection', (socket) => {
  const { user = 'guest', room = 'lobby' } = socket.handshake.auth;
  socket.join(String(room));
  socket.emit('welcome', { instance, room: String(room) });
  socket.on('say', (text, ack) => {
    io.in(String(room)).emit('message', { user: String(user), text: String(text), via: instance });
    ack?.({ ok: true });
  });
});

server.listen(Number(process.env.PORT), () => console.log(`instance ${instance} listening on ${process.env.PORT}`));
