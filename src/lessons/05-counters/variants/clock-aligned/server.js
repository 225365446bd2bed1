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

// A fixed window aligned to the clock, the pattern of Redis's INCR documentation: every 3-second period has a
// key of its own, named after the period's number, so a new period starts a new count. EXPIRE only cleans up.
async function rateLimit(req, res, next) {
  const client = clientOf(req);
  const now = Date.now();
  const period = Math.floor(now / (WINDOW_SECONDS * 1000));
  const key = `ratelimit:quote:${client}:${period}`;
  const [[, count]] = await redis.multi().incr(key).expire(key, WINDOW_SECONDS).exec();
  const secondsLeft = Math.ceil(((period + 1) * WINDOW_SECONDS * 1000 - now) / 1000);
  res.set('x-ratelimit-remaining', String(Math.max(0, LIMIT - count)));
  if (count > LIMIT) {
    res.set('retry-after', String(secondsLeft));
    console.log(`429 for ${client}: request ${count} of ${LIMIT} in period ${period}`);
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
