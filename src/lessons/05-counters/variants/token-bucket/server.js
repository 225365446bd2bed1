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

// A token bucket in Redis: the bucket holds up to LIMIT tokens and refills at LIMIT per window; a request takes one.
const TAKE_TOKEN = `
  local now = tonumber(ARGV[1])
  local capacity = tonumber(ARGV[2])
  local perMs = tonumber(ARGV[3])
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + (now - at) * perMs)
  local allowed = 0
  if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / perMs))
  return allowed
`;

async function rateLimit(req, res, next) {
  const client = clientOf(req);
  const allowed = await redis.eval(TAKE_TOKEN, 1, `bucket:quote:${client}`, Date.now(), LIMIT, LIMIT / (WINDOW_SECONDS * 1000));
  if (allowed !== 1) {
    console.log(`429 for ${client}: bucket empty`);
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
