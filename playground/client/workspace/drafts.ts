/**
 * Drafts: the learner's files for each lesson, kept in this browser's IndexedDB on every edit (debounced, and
 * flushed when the tab is hidden) so a reload, a crashed tab, another lesson or a restarted lab host loses nothing.
 * When storage is missing, blocked or full the page keeps working and the indicator says the work is not kept.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { LabFile } from '../../protocol/lab-file.ts';

export const DRAFT_DB = 'stateless-lab-drafts';
const STORE = 'drafts';

export interface Draft {
  v: 1;
  files: LabFile[];
  savedAt: number;
}

export type DraftState = 'idle' | 'saving' | 'saved' | 'unavailable';

/** Is this a draft this version wrote (and not junk left in the database)? */
export function isDraft(value: unknown): value is Draft {
  const d = value as Draft | null;
  return (
    !!d &&
    d.v === 1 &&
    typeof d.savedAt === 'number' &&
    Array.isArray(d.files) &&
    d.files.every((f) => !!f && typeof f.path === 'string' && typeof f.content === 'string')
  );
}

/**
 * The files to open: the starter, with the draft's content for every file the learner may edit, plus the files the
 * learner added. Read-only files always come from the starter (the lesson may have changed them since).
 */
export function mergeDraft(starter: LabFile[], draft: LabFile[] | undefined, readonly: string[]): LabFile[] {
  if (!draft) return starter;
  const saved = new Map(draft.map((f) => [f.path, f.content]));
  const merged = starter.map((f) => (readonly.includes(f.path) || !saved.has(f.path) ? f : { path: f.path, content: saved.get(f.path)! }));
  for (const f of draft) {
    if (!starter.some((s) => s.path === f.path) && !readonly.includes(f.path)) merged.push(f);
  }
  return merged;
}

/** Do two file sets hold the same paths with the same content? */
export function sameFiles(a: LabFile[], b: LabFile[]): boolean {
  if (a.length !== b.length) return false;
  const map = new Map(a.map((f) => [f.path, f.content]));
  return b.every((f) => map.get(f.path) === f.content);
}

/** Paths whose content in `files` differs from `base` (or that `base` lacks). */
export function changedPaths(files: LabFile[], base: LabFile[]): string[] {
  return files.filter((f) => base.find((b) => b.path === f.path)?.content !== f.content).map((f) => f.path);
}

export interface DraftKeeper {
  /** The saved draft, or undefined (also when storage is unavailable). */
  load(): Promise<Draft | undefined>;
  /** Schedules a save of these files. */
  save(files: LabFile[]): void;
  /** Writes a pending save now. */
  flush(): Promise<void>;
  clear(): Promise<void>;
  readonly state: DraftState;
}

/** One lesson's draft. `onState` hears every change of the saved state, for the indicator. */
export function draftKeeper(slug: string, onState: (state: DraftState) => void, delay = 400): DraftKeeper {
  let store: UseStore | undefined;
  let state: DraftState = 'idle';
  let pending: LabFile[] | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  const key = `lesson:${slug}`;

  const setState = (next: DraftState) => {
    if (state === next) return;
    state = next;
    onState(next);
  };
  const open = (): UseStore | undefined => {
    if (state === 'unavailable') return undefined;
    try {
      store ??= createStore(DRAFT_DB, STORE);
      return store;
    } catch {
      setState('unavailable');
      return undefined;
    }
  };
  const guard = async <T>(what: (s: UseStore) => Promise<T>): Promise<T | undefined> => {
    const s = open();
    if (!s) return undefined;
    try {
      return await what(s);
    } catch {
      setState('unavailable');
      return undefined;
    }
  };

  const write = async () => {
    timer = undefined;
    const files = pending;
    pending = undefined;
    if (!files) return;
    const draft: Draft = { v: 1, files, savedAt: Date.now() };
    const ok = await guard(async (s) => {
      await set(key, draft, s);
      return true;
    });
    if (ok && !pending && state !== 'unavailable') setState('saved');
  };

  return {
    get state() {
      return state;
    },
    async load() {
      const value = await guard((s) => get<unknown>(key, s));
      return isDraft(value) ? value : undefined;
    },
    save(files) {
      pending = files;
      if (state !== 'unavailable') setState('saving');
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        writing = writing.then(write);
      }, delay);
    },
    flush() {
      if (timer) {
        clearTimeout(timer);
        writing = writing.then(write);
      }
      return writing;
    },
    async clear() {
      pending = undefined;
      if (timer) clearTimeout(timer);
      await guard((s) => del(key, s));
    },
  };
}

export const DRAFT_WORDS: Record<DraftState, string> = {
  idle: '',
  saving: 'Saving…',
  saved: 'Draft saved',
  unavailable: 'Not kept: storage unavailable',
};
