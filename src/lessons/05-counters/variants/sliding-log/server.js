import express from 'express';
import { Redis } from 'ioredis';

const app = express();
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);

// The promise made to API clients: at most 10 quotes per 3 seconds each.
const LIMIT = 10;
const WINDOW_SECONDS = 3;

function clientOf(req) {
  // A client is its API key, or its address when it sends none.
  return req.get('x-api-key') ?? req.ip;
}

// A sliding log: one sorted set per client, a member per request scored by its time. Requests older than the
// window are dropped, this one is added (even if it will be refused), and the size of the set is the count.
const WINDOW_MS = WINDOW_SECONDS * 1000;
let sequence = 0;

async function rateLimit(req, res, next) {
  const client = clientOf(req);
  const key = `ratelimit:quote:log:${client}`;
  const now = Date.now();
  const member = `${now}:${instance}:${process.pid}:${sequence++}`;
  const replies = await redis
    .multi()
    .zremrangebyscore(key, '-inf', now - WINDOW_MS)
    .zadd(key, now, member)
    .zcard(key)
    .pexpire(key, WINDOW_MS)
    .exec();
  const count = replies[2][1];
  res.set('x-ratelimit-remaining', String(Math.max(0, LIMIT - count)));
  if (count > LIMIT) {
    res.set('retry-after', String(WINDOW_SECONDS));
    console.log(`429 for ${client}: ${count} requests in the last ${WINDOW_SECONDS} s`);
    return res.status(429).json({ error: `limit is ${LIMIT} per ${WINDOW_SECONDS} s`, instance });
  }
  next();
}

const QUOTES = [
  'Make it work, make it right, make it fast.',
  'There is no cloud, only other people’s computers.',
  'Everything fails, all the time.',
  'Simple things should be simple.',
];

app.get('/api/quote', rateLimit, (req, res) => {
  const quote = QUOTES[Math.floor(Math.random() * QUOTES.length)];
  res.json({ quote, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
