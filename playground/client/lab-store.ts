/**
 * What the playground knows about the running lab, built from the supervisor's events. Components subscribe to
 * the parts they draw; high-rate streams (requests, user results, logs) are separate listeners so a busy lab does
 * not re-render everything on each request.
 */
import type { LabEvent } from '../runtime/types.ts';

export type ProcessState = 'starting' | 'up' | 'unhealthy' | 'crashed' | 'stopping' | 'stopped';

export interface InstanceView {
  name: string;
  state: ProcessState;
  reason?: string;
  port?: number;
  generation: number;
  served: number;
  lastLines: string[];
}

export interface RedisView {
  state: ProcessState | 'absent';
  backend?: string;
  reason?: string;
  keys?: number | null;
  total?: number;
  commands?: Record<string, number>;
  recent?: string[];
}

export interface CheckResult {
  name: string;
  status: 'pass' | 'fail' | 'error';
  message: string | null;
  ms: number;
  /** The grading run's seed: the same seed replays the check's random choices. */
  seed?: number;
  /** The request that showed a failure, as a curl command against `npm run lab`'s balancer. */
  reproduce?: { curl: string; instance?: string | null };
}

export interface ChecksView {
  running: boolean;
  names: string[];
  results: CheckResult[];
  status?: 'pass' | 'fail' | 'error';
  error?: string;
}

/** Where the playground is in its life: set by the shell, not by events. */
export type Phase =
  | { name: 'idle' }
  | { name: 'connecting'; detail: string }
  | { name: 'starting'; detail: string }
  /** `note`: something the learner should know about this run, e.g. that the lab was rebuilt on another host. */
  | { name: 'running'; note?: string }
  | { name: 'stopped' }
  | { name: 'lost'; detail: string }
  | { name: 'failed'; detail: string };

export interface LabState {
  phase: Phase;
  balancer: { state: ProcessState | 'absent'; port?: number; strategy?: string };
  redis: RedisView;
  instances: InstanceView[];
  traffic: boolean;
  deploying: boolean;
  checks: ChecksView;
}

export interface RequestView {
  user?: string;
  method: string;
  path: string;
  instance: string | null;
  status: number;
  ms: number;
  t: number;
}

export interface UserResultView {
  user: string;
  action: string;
  status: number;
  instance: string | null;
  loggedIn: boolean;
  loggedOut: boolean;
  /** Whom the app's answer named (null: nobody); the lab judges logins by it, not by the status. */
  named?: string | null;
  /** Someone else's name where this user's was expected: a session mix-up. */
  mixup?: string | null;
  /** A login the app did not answer 2xx. */
  refused?: boolean;
  body: string;
  error?: string;
  t: number;
}

export interface LogLine {
  name: string;
  stream: 'stdout' | 'stderr' | 'lab';
  text: string;
  t: number;
}

type Listener<T> = (value: T) => void;

function initialState(): LabState {
  return {
    phase: { name: 'idle' },
    balancer: { state: 'absent' },
    redis: { state: 'absent' },
    instances: [],
    traffic: false,
    deploying: false,
    checks: { running: false, names: [], results: [] },
  };
}

export class LabStore {
  state: LabState = initialState();
  private stateListeners = new Set<Listener<LabState>>();
  private requestListeners = new Set<Listener<RequestView>>();
  private userListeners = new Set<Listener<UserResultView>>();
  private logListeners = new Set<Listener<LogLine>>();
  private errorListeners = new Set<Listener<string>>();

  subscribe(listener: Listener<LabState>): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }
  onRequest(listener: Listener<RequestView>): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }
  onUserResult(listener: Listener<UserResultView>): () => void {
    this.userListeners.add(listener);
    return () => this.userListeners.delete(listener);
  }
  /** Process output, plus lab notices (stream "lab") such as state changes, so terminals can tell the story. */
  onLog(listener: Listener<LogLine>): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }
  /** Errors the supervisor reports about commands (shown as a toast or status line). */
  onError(listener: Listener<string>): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  setPhase(phase: Phase): void {
    this.update({ phase });
  }

  /** Forget the previous cluster (a new lab was opened). */
  reset(): void {
    this.update({ ...initialState(), phase: this.state.phase });
  }

  private update(patch: Partial<LabState>): void {
    this.state = { ...this.state, ...patch };
    this.notify();
  }

  private notify(): void {
    clearTimeout(this.countsTimer);
    this.countsTimer = undefined;
    for (const listener of this.stateListeners) listener(this.state);
  }

  private countsTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Served counts change with every request, hundreds of times a second in a burst: state listeners hear about
   * them at most every 100 ms (or with the next other change), not once per request.
   */
  private countRequest(instance: string): void {
    this.state = { ...this.state, instances: this.state.instances.map((i) => (i.name === instance ? { ...i, served: i.served + 1 } : i)) };
    this.countsTimer ??= setTimeout(() => this.notify(), 100);
  }

  private log(line: LogLine): void {
    for (const listener of this.logListeners) listener(line);
  }

  apply(event: LabEvent): void {
    switch (event.type) {
      case 'process':
        return this.applyProcess(event);
      case 'log':
        return this.log({ name: String(event.name), stream: event.stream === 'stderr' ? 'stderr' : 'stdout', text: String(event.text), t: event.t });
      case 'request': {
        const request = event as unknown as RequestView;
        if (request.instance) this.countRequest(request.instance);
        for (const listener of this.requestListeners) listener(request);
        return;
      }
      case 'user':
        for (const listener of this.userListeners) listener(event as unknown as UserResultView);
        return;
      case 'redis':
        this.update({
          redis: {
            ...this.state.redis,
            backend: String(event.backend),
            keys: event.keys as number | null,
            total: Number(event.total),
            commands: event.commands as Record<string, number>,
            recent: event.recent as string[],
          },
        });
        return;
      case 'ready':
        this.update({ phase: { name: 'running' } });
        return;
      case 'deploy': {
        const phase = String(event.phase);
        const deploying = phase === 'start' || phase === 'instance';
        this.update({ deploying });
        const what = `deploy ${phase}${event.instance ? ` ${String(event.instance)}` : ''}${event.reason ? `: ${String(event.reason)}` : ''}`;
        this.log({ name: 'balancer', stream: 'lab', text: what, t: event.t });
        return;
      }
      case 'traffic':
        this.update({ traffic: Boolean(event.on) });
        return;
      case 'checks-start':
        this.update({ checks: { running: true, names: (event.names as string[]) ?? [], results: [] } });
        return;
      case 'check':
        this.update({ checks: { ...this.state.checks, results: [...this.state.checks.results, event as unknown as CheckResult] } });
        return;
      case 'checks':
        this.update({ checks: { ...this.state.checks, running: false, status: event.status as ChecksView['status'] } });
        return;
      case 'error':
        for (const listener of this.errorListeners) listener(String(event.message));
        return;
      case 'exit':
        this.update({ phase: { name: 'stopped' } });
        return;
    }
  }

  /** A check run that could not even start (e.g. the checks file failed to load). */
  checksFailed(message: string): void {
    this.update({ checks: { ...this.state.checks, running: false, status: 'error', error: message } });
  }

  private applyProcess(event: LabEvent): void {
    const name = String(event.name);
    const state = String(event.state) as ProcessState;
    const reason = typeof event.reason === 'string' ? event.reason : undefined;
    this.log({ name: event.role === 'instance' ? name : String(event.role), stream: 'lab', text: `${state}${reason ? ` — ${reason}` : ''}`, t: event.t });
    if (event.role === 'redis') {
      this.update({ redis: { ...this.state.redis, state, reason, backend: (event.backend as string | undefined) ?? this.state.redis.backend } });
      return;
    }
    if (event.role === 'balancer') {
      this.update({ balancer: { state, port: event.port as number, strategy: event.strategy as string } });
      return;
    }
    const previous = this.state.instances.find((i) => i.name === name);
    const next: InstanceView = {
      name,
      state,
      reason,
      port: event.port as number | undefined,
      generation: Number(event.generation ?? 1),
      served: previous?.served ?? 0,
      lastLines: (event.lastLines as string[] | undefined) ?? [],
    };
    const others = this.state.instances.filter((i) => i.name !== name);
    // An instance removed by scaling down disappears from the diagram once stopped.
    const removed = state === 'stopped' && reason === 'removed by scaling down';
    const instances = removed ? others : [...others, next].sort((a, b) => a.name.localeCompare(b.name));
    this.update({ instances });
  }
}
