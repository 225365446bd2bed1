import cluster from 'node:cluster';
import http from 'node:http';

const port = Number(process.env.PORT);
const name = process.env.INSTANCE_ID;
const WORKERS = 2;

if (cluster.isPrimary) {
  // The primary only manages: it forks the workers, which share the instance's one port, and replaces any that dies.
  console.log(`instance ${name}: primary ${process.pid} forking ${WORKERS} workers`);
  for (let i = 0; i < WORKERS; i++) cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (worker.exitedAfterDisconnect) return; // stopped on purpose
    console.log(`instance ${name}: worker ${worker.process.pid} died (${signal ?? code}); forking another`);
    cluster.fork();
  });
} else {
  // Each worker serves the same app on process.env.PORT; the primary hands it connections in turn.
  http
    .createServer((req, res) => {
      if (req.method === 'GET' && new URL(req.url ?? '/', 'http://x').pathname === '/') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ instance: name, message: 'Hello!', pid: process.pid }));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    })
    .listen(port, () => console.log(`instance ${name}: worker ${process.pid} listening on ${port}`));
}
