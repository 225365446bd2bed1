import express from 'express';
import { Redis } from 'ioredis';

const app = express();
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);

// Saves a round trip to Redis on every read: the total as this instance last saw it.
let lastSeen = 0;

app.post('/visits', async (req, res) => {
  lastSeen = await redis.incr('visits');
  res.json({ visits: lastSeen, instance });
});

app.get('/visits', (req, res) => {
  res.json({ visits: lastSeen, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
