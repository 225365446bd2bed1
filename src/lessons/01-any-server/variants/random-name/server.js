import { randomBytes } from 'node:crypto';
import express from 'express';

const app = express();

// A random name per process: no two copies can clash.
const port = Number(process.env.PORT ?? 3001);
const name = process.env.NAME ?? `node-${randomBytes(3).toString('hex')}`;

app.get('/', (req, res) => {
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on ${port}`);
});
