/**
 * A closed-loop HTTP load generator: N keep-alive connections, each sending its next request as soon as the
 * previous answer has been read. Always bounded by time and by request count, and only ever aimed at 127.0.0.1.
 */
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { percentile } from './stats.ts';

export interface LoadOptions {
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** concurrent connections (= concurrent requests in flight) */
  connections: number;
  /** hard cap on the measured phase */
  durationMs: number;
  /** hard cap on requests in the measured phase */
  maxRequests: number;
  /** unmeasured phase first, to open connections and warm the JIT */
  warmupMs?: number;
  /** pause between one answer and the next request on the same connection */
  thinkMs?: number;
  /** per-request timeout; a timeout counts as an error */
  timeoutMs?: number;
  /** stop early once aborted (only for in-thread use; a worker runs its full duration) */
  signal?: AbortSignal;
}

export interface Failure {
  /** ms since the measured phase started */
  at: number;
  status?: number;
  error?: string;
}

export interface LoadResult {
  connections: number;
  /** requests sent during the unmeasured warm-up */
  warmupRequests: number;
  elapsedMs: number;
  requests: number;
  ok: number;
  failed: number;
  rps: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** the first few failures, with their time */
  failures: Failure[];
  /** answers counted by the balancer's x-served-by header */
  servedBy: Record<string, number>;
}

const HOST = '127.0.0.1';

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  try {
    const warmup = options.warmupMs ? (await phase(options, agent, options.warmupMs, options.maxRequests)).requests : 0;
    return { ...(await phase(options, agent, options.durationMs, options.maxRequests)), warmupRequests: warmup };
  } finally {
    agent.destroy();
  }
}

async function phase(options: LoadOptions, agent: http.Agent, durationMs: number, maxRequests: number): Promise<Omit<LoadResult, 'warmupRequests'>> {
  const latencies = new Float64Array(Math.min(maxRequests, 5_000_000));
  let count = 0;
  let ok = 0;
  const failures: Failure[] = [];
  let failed = 0;
  const servedBy: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + durationMs;

  const one = () =>
    new Promise<{ status?: number; error?: string; servedBy?: string }>((resolve) => {
      const req = http.request(
        { host: HOST, port: options.port, path: options.path, method: options.method ?? 'GET', headers: options.headers, agent },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve({ status: res.statusCode, servedBy: header(res.headers['x-served-by']) }));
          res.on('error', (error) => resolve({ error: error.message }));
        },
      );
      req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end(options.body);
    });

  const client = async () => {
    while (performance.now() < deadline && count < maxRequests && !options.signal?.aborted) {
      const index = count++;
      const t0 = performance.now();
      const outcome = await one();
      const t1 = performance.now();
      if (index < latencies.length) latencies[index] = t1 - t0;
      if (outcome.servedBy) servedBy[outcome.servedBy] = (servedBy[outcome.servedBy] ?? 0) + 1;
      if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) ok++;
      else {
        failed++;
        if (failures.length < 20) failures.push({ at: Math.round(t0 - started), status: outcome.status, error: outcome.error });
      }
      if (options.thinkMs) await new Promise((r) => setTimeout(r, options.thinkMs));
    }
  };
  await Promise.all(Array.from({ length: options.connections }, client));
  const elapsedMs = performance.now() - started;
  const measured = latencies.subarray(0, Math.min(count, latencies.length)).sort();
  let sum = 0;
  for (const value of measured) sum += value;
  return {
    connections: options.connections,
    elapsedMs,
    requests: count,
    ok,
    failed,
    rps: (count / elapsedMs) * 1000,
    latencyMs: {
      mean: measured.length ? sum / measured.length : Number.NaN,
      p50: percentile(measured, 50),
      p90: percentile(measured, 90),
      p99: percentile(measured, 99),
      max: measured.length ? measured[measured.length - 1]! : Number.NaN,
    },
    failures,
    servedBy,
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Run the load on its own thread, so the generator's event loop is not slowed by whatever the calling thread
 * does meanwhile (such as parsing the lab's event stream).
 */
export function runLoadInWorker(options: Omit<LoadOptions, 'signal'>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: options });
    let settled = false;
    const limit = setTimeout(() => {
      settled = true;
      void worker.terminate();
      reject(new Error('the load worker did not finish in time'));
    }, (options.warmupMs ?? 0) + options.durationMs + 15_000);
    worker.once('message', (result: LoadResult) => {
      settled = true;
      clearTimeout(limit);
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      clearTimeout(limit);
      if (!settled) reject(error);
    });
    worker.once('exit', (code) => {
      clearTimeout(limit);
      if (!settled) reject(new Error(`the load worker exited with code ${code}`));
    });
  });
}
