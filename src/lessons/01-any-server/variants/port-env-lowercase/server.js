import express from 'express';

const app = express();

// The port comes from the environment, with a default for running it on a laptop.
const port = Number(process.env.port) || 3001;
const name = process.env.INSTANCE_ID ?? 'local';

app.get('/', (req, res) => {
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on ${port}`);
});
