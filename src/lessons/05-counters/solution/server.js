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

// One counter per client in Redis, shared by every instance. The first request of a window creates the key
// with its expiry (SET … NX only sets a missing key); INCR counts and keeps the expiry. MULTI runs the three
// commands together, so no other request can slip in between them.
async function rateLimit(req, res, next) {
  const client = clientOf(req);
  const key = `ratelimit:quote:${client}`;
  const [, [, count], [, secondsLeft]] = await redis
    .multi()
    .set(key, 0, 'EX', WINDOW_SECONDS, 'NX')
    .incr(key)
    .ttl(key)
    .exec();
  res.set('x-ratelimit-remaining', String(Math.max(0, LIMIT - count)));
  if (count > LIMIT) {
    res.set('retry-after', String(secondsLeft));
    console.log(`429 for ${client}: request ${count} of ${LIMIT}, counted across the cluster`);
    return res.status(429).json({ error: `limit is ${LIMIT} per ${WINDOW_SECONDS} s; retry in ${secondsLeft} s`, instance });
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
