import express from 'express';

const app = express();
const port = Number(process.env.PORT ?? 3001);
const name = process.env.INSTANCE_ID ?? 'local';
let served = 0;

app.get('/', (req, res) => {
  served++;
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on ${port}`);
});

// Metrics for the monitoring system, on the port exporters usually use.
const metrics = express();
metrics.get('/metrics', (req, res) => {
  res.type('text/plain').send(`requests_served_total{instance="${name}"} ${served}\n`);
});
metrics.listen(9464, (error) => {
  if (error) throw error;
  console.log(`metrics on 9464`);
});
