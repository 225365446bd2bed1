import express from 'express';

const app = express();

// Every process has its own pid, so that makes a unique name without any configuration.
const port = Number(process.env.PORT ?? 3001);
const name = `server-${process.pid}`;

app.get('/', (req, res) => {
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on ${port}`);
});
