import express from 'express';

const app = express();

// Everything that differs between copies comes from the environment, so the lab can start as many as it likes.
const port = Number(process.env.PORT ?? 3001);
const name = process.env.INSTANCE_ID ?? 'local';

app.get('/', (req, res) => {
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on ${port}`);
});
