import http from 'node:http';

// Fail fast when the platform did not say who this instance is or where to listen.
const { PORT, INSTANCE_ID } = process.env;
if (!PORT || !INSTANCE_ID) {
  console.error('PORT and INSTANCE_ID must be set in the environment');
  process.exit(1);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && new URL(req.url ?? '/', 'http://x').pathname === '/') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ instance: INSTANCE_ID, message: 'Hello!' }));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

server.listen(Number(PORT), () => console.log(`instance ${INSTANCE_ID} listening on ${PORT}`));
