/** Words, icons and limits the cluster view shows; pure so they can be unit-tested. */
import type { ProcessState } from '../../session/lab-store.ts';
import { excerpt } from '../../../lab/excerpt.js';
import type { Strategy } from '../../../lab/rules.js';

export interface StateLook {
  word: string;
  icon: string;
  tone: 'ok' | 'busy' | 'warn' | 'bad' | 'off';
}

const STATES: Record<ProcessState | 'absent', StateLook> = {
  starting: { word: 'starting', icon: '◌', tone: 'busy' },
  up: { word: 'up', icon: '✓', tone: 'ok' },
  unhealthy: { word: 'unhealthy', icon: '⚠', tone: 'warn' },
  crashed: { word: 'crashed', icon: '✕', tone: 'bad' },
  stopping: { word: 'stopping', icon: '◌', tone: 'busy' },
  stopped: { word: 'stopped', icon: '■', tone: 'off' },
  absent: { word: 'not running', icon: '○', tone: 'off' },
};

export function stateLook(state: ProcessState | 'absent' | undefined): StateLook {
  return STATES[state ?? 'absent'] ?? { word: String(state), icon: '?', tone: 'off' };
}

export function redisTitle(backend: string | undefined): string {
  switch (backend) {
    case 'redis-server':
      return 'Redis (redis-server, on the lab host)';
    case 'js-redis-server':
      return 'Redis (JavaScript server in the sandbox)';
    case 'hosted':
      return 'Redis (hosted, on the lab host)';
    case 'external':
      return 'Redis (external, from REDIS_URL)';
    case undefined:
    case '':
      return 'Redis';
    default:
      return `Redis (${backend})`;
  }
}

/** First line, cut to `max` characters with an ellipsis: the full text goes in a disclosure. */
export function shortReason(reason: string, max = 60): string {
  return excerpt(reason.split('\n', 1)[0], max - 1, '');
}

export interface InstanceActions {
  stop: boolean;
  start: boolean;
  restart: boolean;
  kill: boolean;
}

/** Which per-instance buttons make sense in a state (the others are disabled, never hidden, so rows stay steady). */
export function instanceActions(state: ProcessState): InstanceActions {
  const running = state === 'starting' || state === 'up' || state === 'unhealthy';
  return {
    stop: running,
    kill: running,
    start: state === 'stopped' || state === 'crashed',
    restart: state !== 'stopping',
  };
}

/** "A, B and C": a readable list for summaries. */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** How the page names each balancing strategy: a strategy added to the lab engine must get words here. */
export const STRATEGY_WORDS: Record<Strategy, string> = {
  'round-robin': 'Round-robin (in turn)',
  'least-connections': 'Least connections',
  sticky: 'Sticky (affinity cookie)',
};

/** The balancer box's shorter words for the strategy it runs (the select keeps the longer ones). */
export const STRATEGY_SHORT: Record<Strategy, string> = {
  'round-robin': 'Round-robin',
  'least-connections': 'Least connections',
  sticky: 'Sticky',
};
