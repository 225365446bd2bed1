/**
 * The lab host's settings, read from the environment with safe defaults. Every value is checked here so a typo
 * stops the host at start-up with a sentence naming the variable, rather than surfacing mid-class.
 */
import os from 'node:os';
import path from 'node:path';

export type IsolationSetting = 'auto' | 'namespaces' | 'ports';

export interface LabLimits {
  /** Labs running at once on this host. */
  labs: number;
  /** Processes (not threads) alive in one lab, the supervisor, instances and Redis included. */
  processesPerLab: number;
  /** Resident memory of any one process in a lab, in MB. */
  memoryMbPerProcess: number;
  /** Memory of a whole lab (its processes and its tmpfs files), in MB; kernel-enforced where cgroups can be made. */
  memoryMbPerLab: number;
  /** CPU cores a whole lab may use at once, whatever its processes and threads do (cgroups only). */
  cpuCores: number;
  /** A process that keeps a whole core busy this many seconds in a row is stopped. */
  cpuSeconds: number;
  /** Output a lab may send to the browser, in KB per second (bursts up to 4 seconds' worth). */
  outputKbPerSecond: number;
  /** Files a lab's folder may hold (learner files plus whatever its code writes). */
  files: number;
  /** Largest file a lab's code may write, in MB. */
  fileMb: number;
  /** Everything a lab's folder may hold, in MB. */
  diskMb: number;
  /** A lab that hears nothing from its page for this long is closed. */
  idleMinutes: number;
}

export interface HostConfig {
  host: string;
  port: number;
  /** Required when `host` is not loopback: learners join with /?join=<token>. */
  joinToken: string | undefined;
  /** Extra page origins allowed to open labs (a dev server, a separate static host). */
  allowedOrigins: string[];
  /** Names learners reach the host by besides loopback, HOST and this machine's addresses (LAB_PUBLIC_NAME). */
  publicNames: string[];
  isolation: IsolationSetting;
  limits: LabLimits;
  /** Where lab folders and slot locks live. */
  labRoot: string;
  /** Names this host in logs and `opened` messages. */
  name: string;
}

export const DEFAULT_LIMITS: LabLimits = {
  labs: 20,
  processesPerLab: 40,
  memoryMbPerProcess: 512,
  memoryMbPerLab: 1536,
  // Two, not one: a cluster's start (three instances and Redis loading at once) took 2.2 s in one core, 1.2 s in
  // two. Labs competing for the CPU still get equal shares, each being a cgroup of equal weight.
  cpuCores: 2,
  cpuSeconds: 15,
  outputKbPerSecond: 512,
  files: 2000,
  fileMb: 20,
  diskMb: 256,
  idleMinutes: 30,
};

/** Environment variable for each limit; README's table lists the same names. */
export const LIMIT_VARIABLES: Record<keyof LabLimits, string> = {
  labs: 'MAX_LABS',
  processesPerLab: 'LAB_MAX_PROCESSES',
  memoryMbPerProcess: 'LAB_MEMORY_MB',
  memoryMbPerLab: 'LAB_MEMORY_MB_PER_LAB',
  cpuCores: 'LAB_CPU_CORES',
  cpuSeconds: 'LAB_CPU_SECONDS',
  outputKbPerSecond: 'LAB_OUTPUT_KB_PER_SECOND',
  files: 'LAB_MAX_FILES',
  fileMb: 'LAB_FILE_MB',
  diskMb: 'LAB_DISK_MB',
  idleMinutes: 'LAB_IDLE_MINUTES',
};

export class HostConfigError extends Error {}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new HostConfigError(`${name} must be a positive number, got "${raw}".`);
  return value;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function readHostConfig(env: NodeJS.ProcessEnv = process.env): HostConfig {
  const host = env.HOST || '127.0.0.1';
  const port = Number(env.PORT || 4321);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new HostConfigError(`PORT must be a port number (0-65535), got "${env.PORT}".`);

  const joinToken = env.LAB_JOIN_TOKEN || undefined;
  if (joinToken !== undefined && joinToken.length < 12) throw new HostConfigError('LAB_JOIN_TOKEN must be at least 12 characters long; `openssl rand -hex 16` makes a good one.');
  if (!isLoopback(host) && !joinToken) {
    throw new HostConfigError(
      `HOST=${host} lets other machines run code on this one, so it needs a join token: set LAB_JOIN_TOKEN (e.g. LAB_JOIN_TOKEN=$(openssl rand -hex 16)) and give learners the join link printed at start-up.`,
    );
  }

  const isolation = (env.LAB_ISOLATION || 'auto') as IsolationSetting;
  if (!['auto', 'namespaces', 'ports'].includes(isolation)) throw new HostConfigError(`LAB_ISOLATION must be auto, namespaces or ports, got "${env.LAB_ISOLATION}".`);

  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_VARIABLES) as (keyof LabLimits)[]) limits[key] = positiveNumber(env, LIMIT_VARIABLES[key], DEFAULT_LIMITS[key]);
  for (const key of ['labs', 'processesPerLab', 'files'] as const) {
    if (!Number.isInteger(limits[key])) throw new HostConfigError(`${LIMIT_VARIABLES[key]} must be a whole number, got "${limits[key]}".`);
  }

  const allowedOrigins = (env.LAB_ALLOWED_ORIGINS || '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    if (!/^https?:\/\/[^/]+$/.test(origin)) throw new HostConfigError(`LAB_ALLOWED_ORIGINS takes origins like http://localhost:4321 (no path), got "${origin}".`);
  }

  const publicNames = (env.LAB_PUBLIC_NAME || '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of publicNames) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/.test(name)) {
      throw new HostConfigError(`LAB_PUBLIC_NAME takes host names like lab.school.example (no scheme, port or path), got "${name}".`);
    }
  }

  return {
    host,
    port,
    joinToken,
    allowedOrigins,
    publicNames,
    isolation,
    limits,
    labRoot: env.LAB_ROOT || path.join(os.tmpdir(), 'stateless-lab'),
    name: env.LAB_HOST_NAME || `${os.hostname()}:${process.pid}`,
  };
}
