// @ts-check
/**
 * Process entry: the pure-JavaScript Redis-protocol server (js-redis-server) on the port given as argv[2].
 * Used where no redis-server binary exists, e.g. inside a WebContainer. It is a separate process on purpose:
 * instances reach it over TCP exactly as they would reach a real Redis.
 */
import { createRedisServer } from 'js-redis-server';

const port = Number(process.argv[2] ?? 0);
const server = await createRedisServer({ port, logger: { error: (...args) => console.error(...args) } });
console.log(`js-redis-server ready on 127.0.0.1:${server.port}`);

const shutdown = () => void server.close().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
