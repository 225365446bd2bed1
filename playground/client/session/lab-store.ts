/**
 * What the playground knows about the running lab, built from the supervisor's events. Components subscribe to
 * the parts they draw; high-rate streams (requests, user results, logs) are separate listeners so a busy lab does
 * not re-render everything on each request.
 */
import type { CheckResult, LabEvent, LabEventOf, ProcessState, SessionKey } from '../../protocol/lab-events.ts';
import type { Strategy } from '../../lab/rules.js';

export type { CheckResult, ProcessState, SessionKey };

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
  /** Keys holding virtual users' sessions (a sample), with TTL and owner. */
  sessions?: SessionKey[];
  sessionCount?: number;
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
  balancer: { state: ProcessState | 'absent'; port?: number; strategy?: Strategy };
  redis: RedisView;
  instances: InstanceView[];
  traffic: boolean;
  deploying: boolean;
  checks: ChecksView;
}

/** One request through the balancer. */
export type RequestView = Omit<LabEventOf<'request'>, 'type'>;

/** One virtual user's action and how the lab judged it (by whom the answer named, not by its status). */
export type UserResultView = Omit<LabEventOf<'user'>, 'type'>;

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
        return this.log({ name: event.name, stream: event.stream, text: event.text, t: event.t });
      case 'request': {
        // A check's requests are the check's: they do not count as what the learner's cluster served.
        if (event.instance && !event.check) this.countRequest(event.instance);
        for (const listener of this.requestListeners) listener(event);
        return;
      }
      case 'user':
        for (const listener of this.userListeners) listener(event);
        return;
      case 'redis':
        this.update({
          redis: {
            ...this.state.redis,
            backend: event.backend,
            keys: event.keys,
            total: event.total,
            commands: event.commands,
            recent: event.recent,
            sessions: event.sessions,
            sessionCount: event.sessionCount,
          },
        });
        return;
      case 'ready':
        this.update({ phase: { name: 'running' } });
        return;
      case 'deploy': {
        const { phase } = event;
        const deploying = phase === 'start' || phase === 'instance';
        this.update({ deploying });
        const what = `deploy ${phase}${event.instance ? ` ${event.instance}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
        this.log({ name: 'balancer', stream: 'lab', text: what, t: event.t });
        return;
      }
      case 'traffic':
        this.update({ traffic: event.on });
        return;
      case 'checks-start':
        this.update({ checks: { running: true, names: event.names, results: [] } });
        return;
      case 'check':
        this.update({ checks: { ...this.state.checks, results: [...this.state.checks.results, event] } });
        return;
      case 'checks':
        this.update({ checks: { ...this.state.checks, running: false, status: event.status } });
        return;
      case 'error':
        for (const listener of this.errorListeners) listener(event.message);
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

  private applyProcess(event: LabEventOf<'process'>): void {
    const { name, state } = event;
    const reason = event.reason ?? undefined;
    this.log({ name: event.role === 'instance' ? name : event.role, stream: 'lab', text: `${state}${reason ? ` — ${reason}` : ''}`, t: event.t });
    if (event.role === 'redis') {
      this.update({ redis: { ...this.state.redis, state, reason, backend: event.backend ?? this.state.redis.backend } });
      return;
    }
    if (event.role === 'balancer') {
      this.update({ balancer: { state, port: event.port, strategy: event.strategy } });
      return;
    }
    const previous = this.state.instances.find((i) => i.name === name);
    const next: InstanceView = {
      name,
      state,
      reason,
      port: event.port ?? undefined,
      generation: event.generation,
      served: previous?.served ?? 0,
      lastLines: event.lastLines ?? [],
    };
    const others = this.state.instances.filter((i) => i.name !== name);
    // An instance removed by scaling down disappears from the diagram once stopped.
    const removed = state === 'stopped' && reason === 'removed by scaling down';
    const instances = removed ? others : [...others, next].sort((a, b) => a.name.localeCompare(b.name));
    this.update({ instances });
  }
}
