import fs from 'node:fs';
import express from 'express';

const app = express();
const port = Number(process.env.PORT ?? 3001);

// Keep the instance's identity on disk, so that it stays the same across restarts.
const ID_FILE = 'instance-id.json';
let name;
if (fs.existsSync(ID_FILE)) {
  name = JSON.parse(fs.readFileSync(ID_FILE, 'utf8')).name;
} else {
  name = process.env.INSTANCE_ID ?? 'local';
  fs.writeFileSync(ID_FILE, JSON.stringify({ name }));
}

app.get('/', (req, res) => {
  res.json({ instance: name, message: 'Hello!' });
});

app.listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on ${port}`);
});
