import express from 'express';

const app = express();

// This server was written for one machine: it picks its own port and its own name.
const port = 3001;
const name = 'the-server';

app.get('/', (req, res) => {
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`listening on ${port}`);
});
