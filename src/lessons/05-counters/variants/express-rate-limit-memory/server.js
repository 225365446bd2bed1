import express from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';

const app = express();
const instance = process.env.INSTANCE_ID;

// The lab's balancer is one proxy in front of the app and sends X-Forwarded-For: trust exactly that hop, so req.ip
// is the client's address rather than the balancer's (and a client cannot pick its own by sending the header).
app.set('trust proxy', 1);

// The promise made to API clients: at most 10 quotes per 3 seconds each.
const LIMIT = 10;
const WINDOW_MS = 3000;

const limiter = rateLimit({
  windowMs: WINDOW_MS,
  limit: LIMIT,
  standardHeaders: 'draft-8', // the combined `RateLimit` and `RateLimit-Policy` headers
  legacyHeaders: true, // and X-RateLimit-Remaining, as the reference sends
  // A client is its API key, or its address when it sends none (an IPv6 address stands for its /56 subnet).
  keyGenerator: (req) => req.get('x-api-key') ?? ipKeyGenerator(req.ip),
  // No `store`: the default MemoryStore, which keeps the counts in this process.
  handler: (req, res, next, options) => {
    const { used, limit, key } = req.rateLimit;
    console.log(`429 for ${key}: request ${used} of ${limit}, counted by instance ${instance}`);
    res.status(options.statusCode).json({ error: `limit is ${limit} per ${options.windowMs / 1000} s; retry in ${res.get('retry-after')} s`, instance });
  },
});

const QUOTES = [
  'Make it work, make it right, make it fast.',
  'There is no cloud, only other people’s computers.',
  'Everything fails, all the time.',
  'Simple things should be simple.',
];

app.get('/api/quote', limiter, (req, res) => {
  const quote = QUOTES[Math.floor(Math.random() * QUOTES.length)];
  res.json({ quote, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
