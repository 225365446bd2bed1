import express from 'express';

const app = express();
const instance = process.env.INSTANCE_ID;

// The total lives in this process's memory: every instance has a count of its own.
let visits = 0;

app.post('/visits', (req, res) => {
  visits += 1;
  res.json({ visits, instance });
});

app.get('/visits', (req, res) => {
  res.json({ visits, instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
