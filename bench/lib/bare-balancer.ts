/**
 * Process entry: the lab's balancer module alone, in front of one fixed backend, with no supervisor around it and
 * no request events written anywhere. Compared with the full lab, it shows what the proxying itself costs versus
 * the per-request event stream. argv: <backend port>. Prints the port it listens on, then serves until stdin closes.
 */
import { createBalancer } from '../../playground/lab/balancer.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: node bench/lib/bare-balancer.ts <backend port>');
const backend = { name: 'A', port, inflight: 0, sockets: 0, served: 0, routable: true, state: 'up', reason: undefined };
const balancer = createBalancer({ strategy: 'round-robin', backends: () => [backend], describe: () => 'A up', onRequest: () => undefined });
const listening = await balancer.listen(0, '127.0.0.1');
process.stdout.write(`${listening}\n`);
process.stdin.resume();
process.stdin.on('close', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
