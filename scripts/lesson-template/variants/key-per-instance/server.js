import express from 'express';
import { Redis } from 'ioredis';

const app = express();
const instance = process.env.INSTANCE_ID;
const redis = new Redis(process.env.REDIS_URL);

// One total per instance: each counts under its own key.
app.post('/visits', async (req, res) => {
  const visits = await redis.incr(`visits:${instance}`);
  res.json({ visits, instance });
});

app.get('/visits', async (req, res) => {
  const visits = Number(await redis.get(`visits:${instance}`)) || 0;
  res.json({ visits, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
