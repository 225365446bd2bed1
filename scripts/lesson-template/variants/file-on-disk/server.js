import fs from 'node:fs';
import express from 'express';

const app = express();
const instance = process.env.INSTANCE_ID;
const FILE = 'visits.txt';

const read = () => (fs.existsSync(FILE) ? Number(fs.readFileSync(FILE, 'utf8')) : 0);

app.post('/visits', (req, res) => {
  const visits = read() + 1;
  fs.writeFileSync(FILE, String(visits));
  res.json({ visits, instance });
});

app.get('/visits', (req, res) => {
  res.json({ visits: read(), instance });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});
