/**
 * Who knows whom: for every instance and virtual user, what that instance last said about the user. Built only
 * from answers the lab observed (user results), never guessed from the code: "A knows Alice" means A's last
 * answer for Alice named her. The Map trap reads here at a glance: A knows Alice, B and C do not.
 *
 * An instance whose process was replaced (restart, crash, deploy) has said nothing yet with its new memory, so its
 * column goes back to "not asked since restart".
 */
import type { InstanceView, UserResultView } from '../../session/lab-store.ts';

export type KnowledgeKind = 'knows' | 'unknown' | 'mixup' | 'logged-out' | 'not-asked';

export interface Knowledge {
  kind: KnowledgeKind;
  /** When the answer arrived (ms). */
  at?: number;
  /** The user action the instance answered: login, visit, logout or request. */
  action?: string;
  /** unknown: the user expected to be logged in, so the answer was an unexpected logout. */
  expected?: boolean;
  /** mixup: whom the answer named instead. */
  named?: string;
  /** not-asked: the instance did answer for this user, but its process has been replaced since. */
  restarted?: boolean;
}

export const NOT_ASKED: Knowledge = { kind: 'not-asked' };

function failed(result: UserResultView): boolean {
  return result.status === 0 || result.status >= 500 || Boolean(result.error);
}

/**
 * What one answer says about its user on the instance that gave it, or null when it says nothing about the
 * session (check traffic, no instance, an error, a refused login, an unrelated request).
 */
export function knowledgeFrom(result: UserResultView, at: number): Knowledge | null {
  if (result.check !== undefined || !result.instance || failed(result)) return null;
  const { action } = result;
  if (result.mixup) return { kind: 'mixup', named: result.mixup, action, at };
  if (action === 'logout') return result.status < 400 ? { kind: 'logged-out', action, at } : null;
  if (result.named === result.user || result.loggedIn) return { kind: 'knows', action, at };
  if (result.loggedOut) return { kind: 'unknown', expected: true, action, at };
  const aboutSession = (result.status >= 200 && result.status < 300) || result.status === 401 || result.status === 403;
  if (action === 'visit' && aboutSession) return { kind: 'unknown', expected: false, action, at };
  return null;
}

/** States in which the process that answered before is gone (or a new one is on its way). */
const PROCESS_GONE = new Set(['starting', 'stopped', 'crashed']);

type ProcessSeen = Pick<InstanceView, 'name' | 'generation' | 'state'>;

export class InstanceKnowledge {
  /** instance → user → what it last said. */
  private table = new Map<string, Map<string, Knowledge>>();
  private processes = new Map<string, { generation: number; state: string }>();

  get(instance: string, user: string): Knowledge {
    return this.table.get(instance)?.get(user) ?? NOT_ASKED;
  }

  /** Takes in one user result; true when something changed. */
  record(result: UserResultView, at: number): boolean {
    const knowledge = knowledgeFrom(result, at);
    if (!knowledge) return false;
    const instance = result.instance!;
    let users = this.table.get(instance);
    if (!users) {
      users = new Map();
      this.table.set(instance, users);
    }
    users.set(result.user, knowledge);
    return true;
  }

  /**
   * Follows the instances' lives (call on every store update, so no transition is missed): a new generation or a
   * process that stopped, crashed or is starting again forgets what the old one said; a removed instance is
   * dropped. True when something changed.
   */
  observe(instances: readonly ProcessSeen[]): boolean {
    let changed = false;
    const names = new Set(instances.map((i) => i.name));
    for (const name of [...this.processes.keys()]) {
      if (names.has(name)) continue;
      this.processes.delete(name);
      changed = this.table.delete(name) || changed;
    }
    for (const { name, generation, state } of instances) {
      const before = this.processes.get(name);
      this.processes.set(name, { generation, state });
      if (!before) continue;
      const replaced = before.generation !== generation || (before.state !== state && PROCESS_GONE.has(state));
      if (replaced) changed = this.forget(name) || changed;
    }
    return changed;
  }

  /** A new lab, or a check run (the engine clears the learner's users): nobody has been asked anything. */
  reset(): void {
    this.table.clear();
    this.processes.clear();
  }

  private forget(instance: string): boolean {
    const users = this.table.get(instance);
    if (!users) return false;
    let changed = false;
    for (const [user, knowledge] of users) {
      if (knowledge.kind === 'not-asked') continue;
      users.set(user, { kind: 'not-asked', restarted: true });
      changed = true;
    }
    return changed;
  }
}

export type KnowledgeTone = 'ok' | 'bad' | 'neutral' | 'quiet';

export interface KnowledgeWords {
  /** Shown before the word, so the outcome never rests on colour. */
  icon: string;
  /** Short, for the card: "knows", "unknown", "mix-up: Bob", "not asked". */
  word: string;
  tone: KnowledgeTone;
  /** The full sentence, for screen readers and the tooltip. */
  sentence: string;
}

/** "just now", "3 s ago", "2 min ago", "1 h ago". */
export function ago(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

function article(action: string | undefined): string {
  return action === 'login' ? 'a login' : action === 'visit' ? 'a visit' : action === 'logout' ? 'a logout' : 'a request';
}

/**
 * Words for one instance × user (`userName` as shown, e.g. "Alice"). `displayName` turns the id an answer named
 * ("bob") into a name; sentences avoid pronouns so they hold for any user.
 */
export function knowledgeWords(instance: string, userName: string, knowledge: Knowledge, now: number, displayName: (id: string) => string): KnowledgeWords {
  const when = knowledge.at === undefined ? '' : ` ${ago(now - knowledge.at)}`;
  switch (knowledge.kind) {
    case 'knows': {
      const how = knowledge.action === 'login' ? `it accepted ${userName}'s login` : `it answered ${article(knowledge.action)} naming ${userName}`;
      return { icon: '✓', word: 'knows', tone: 'ok', sentence: `${instance} knows ${userName}: ${how}${when}.` };
    }
    case 'unknown':
      return knowledge.expected
        ? { icon: '✕', word: 'unknown', tone: 'bad', sentence: `${instance} does not know ${userName}: it answered a visit as logged out${when}.` }
        : { icon: '○', word: 'unknown', tone: 'neutral', sentence: `${instance} does not know ${userName}: it answered a visit as not logged in${when}, while ${userName} was not logged in.` };
    case 'mixup': {
      const other = displayName(knowledge.named ?? '');
      return { icon: '✕', word: `mix-up: ${other}`, tone: 'bad', sentence: `${instance} mixed up ${userName}: it answered ${article(knowledge.action)} as ${other}${when}, a session mix-up.` };
    }
    case 'logged-out':
      return { icon: '○', word: 'logged out', tone: 'neutral', sentence: `${instance} says ${userName} is logged out: ${userName} logged out there${when}.` };
    case 'not-asked':
      return knowledge.restarted
        ? { icon: '↻', word: 'not asked', tone: 'quiet', sentence: `${instance} has not answered for ${userName} since its process stopped.` }
        : { icon: '—', word: 'not asked', tone: 'quiet', sentence: `${instance} has not answered for ${userName} yet.` };
  }
}
