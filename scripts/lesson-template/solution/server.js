import express from 'express';
import { Redis } from 'ioredis';

const app = express();
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);

// One total for the whole cluster: INCR adds one and returns the new count in a single atomic step.
app.post('/visits', async (req, res) => {
  const visits = await redis.incr('visits');
  res.json({ visits, instance });
});

app.get('/visits', async (req, res) => {
  const visits = Number(await redis.get('visits')) || 0;
  res.json({ visits, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
