/** Structured logs: one JSON object per line on stdout, with time, level and the host's name. */
export type LogEntry = { level?: 'debug' | 'info' | 'warn' | 'error'; msg: string; [key: string]: unknown };

export function createLog(host: string, write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {
  return (entry: Record<string, unknown>) => write(JSON.stringify({ time: new Date().toISOString(), level: 'info', host, ...entry }));
}
