import express from 'express';

const app = express();
const instance = process.env.INSTANCE_ID;

// The promise made to API clients: at most 10 quotes per 3 seconds each.
const LIMIT = 10;
const WINDOW_SECONDS = 3;

// Client → { count, resetAt }. This Map counts only the requests that reach this instance.
const windows = new Map();

function clientOf(req) {
  // A client is its API key, or its address when it sends none.
  return req.get('x-api-key') ?? req.ip;
}

function rateLimit(req, res, next) {
  const client = clientOf(req);
  const now = Date.now();
  let window = windows.get(client);
  if (!window || window.resetAt <= now) {
    window = { count: 0, resetAt: now + WINDOW_SECONDS * 1000 };
    windows.set(client, window);
  }
  window.count += 1;
  const secondsLeft = Math.ceil((window.resetAt - now) / 1000);
  res.set('x-ratelimit-remaining', String(Math.max(0, LIMIT - window.count)));
  if (window.count > LIMIT) {
    res.set('retry-after', String(secondsLeft));
    console.log(`429 for ${client}: request ${window.count} of ${LIMIT} on ${instance}`);
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
