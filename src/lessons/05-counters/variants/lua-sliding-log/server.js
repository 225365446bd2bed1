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

// A sliding log decided inside Redis: drop entries older than the window, and only if fewer than LIMIT are left,
// log this request. Refused requests are not logged, so they do not push the client's next chance back.
const SLIDING_LOG = `
  local now = tonumber(ARGV[1])
  local window = tonumber(ARGV[2])
  local limit = tonumber(ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local used = redis.call('ZCARD', KEYS[1])
  if used >= limit then return used + 1 end
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return used + 1
`;
let sequence = 0;

async function rateLimit(req, res, next) {
  const client = clientOf(req);
  const now = Date.now();
  const count = await redis.eval(SLIDING_LOG, 1, `quota:${client}`, now, WINDOW_SECONDS * 1000, LIMIT, `${instance}-${now}-${sequence++}`);
  res.set('x-ratelimit-remaining', String(Math.max(0, LIMIT - count)));
  if (count > LIMIT) {
    console.log(`429 for ${client}: ${LIMIT} requests already in the last ${WINDOW_SECONDS} s`);
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
