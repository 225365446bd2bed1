import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface StartedServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The server's process id (a lab host names itself hostname:pid). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Run `npm start`'s server (site + lab host) as a real process on a free port (or on `port`), for tests and
 * benchmarks, and resolve with its URL once it says it is serving.
 */
export async function spawnStart(options: { args?: string[]; env?: NodeJS.ProcessEnv; port?: number; root?: string } = {}): Promise<StartedServer> {
  const tree = options.root ?? root;
  const server = spawn(process.execPath, [join(tree, 'scripts', 'start.ts'), ...(options.args ?? [])], {
    cwd: tree,
    env: { ...(options.env ?? process.env), PORT: String(options.port ?? 0), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (chunk: string) => {
      output += chunk;
      const match = /running at (http:\/\/[^\s/]+)\//.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`npm start exited (${code}) before serving:\n${output}`)));
  });
  return {
    url,
    pid: server.pid!,
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
