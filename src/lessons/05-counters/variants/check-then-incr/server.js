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

// Only served requests count: look at the count, refuse if it is used up, otherwise count this one.
async function rateLimit(req, res, next) {
  const client = clientOf(req);
  const key = `ratelimit:quote:${client}`;
  const used = Number((await redis.get(key)) ?? 0);
  if (used >= LIMIT) {
    console.log(`429 for ${client}: ${used} of ${LIMIT} used`);
    return res.status(429).json({ error: `limit is ${LIMIT} per ${WINDOW_SECONDS} s`, instance });
  }
  const [, [, count]] = await redis.multi().set(key, 0, 'EX', WINDOW_SECONDS, 'NX').incr(key).exec();
  res.set('x-ratelimit-remaining', String(Math.max(0, LIMIT - count)));
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
