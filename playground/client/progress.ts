/**
 * Learner progress, kept in this browser only (localStorage). Lesson pages mark a lesson "started" when it is
 * opened; the playground marks it "passed", with the time, when every check passes. The course map and the lesson
 * pager read the marks. Nothing here throws: private modes without storage just show every lesson as not started.
 * Kept tiny: the course map loads it before anything else.
 */
export type ProgressState = 'started' | 'passed';

export interface ProgressEntry {
  state: ProgressState;
  /** When the lesson was first passed (ms since the epoch); absent for "started" and for old records. */
  passedAt?: number;
}

const KEY = 'stateless-lab:progress:v1';

/** Every lesson's entry. Accepts the old shape (a bare state string) too. */
export function readProgressEntries(): Record<string, ProgressEntry> {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (!parsed || typeof parsed !== 'object') return {};
    const out: Record<string, ProgressEntry> = {};
    for (const [slug, value] of Object.entries(parsed)) {
      const v = (typeof value === 'string' ? { state: value } : value) as { state?: unknown; passedAt?: unknown } | null;
      if (v?.state !== 'started' && v?.state !== 'passed') continue;
      out[slug] = typeof v.passedAt === 'number' && v.state === 'passed' ? { state: v.state, passedAt: v.passedAt } : { state: v.state };
    }
    return out;
  } catch {
    return {};
  }
}

export function readProgress(): Record<string, ProgressState> {
  return Object.fromEntries(Object.entries(readProgressEntries()).map(([slug, e]) => [slug, e.state]));
}

/** Records progress; never downgrades "passed" to "started", and keeps the time of the first pass. */
export function markProgress(slug: string, state: ProgressState, now = Date.now()): void {
  const all = readProgressEntries();
  const before = all[slug];
  if (before?.state === 'passed' && (state === 'started' || before.passedAt)) return;
  all[slug] = state === 'passed' ? { state, passedAt: now } : { state };
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* storage full or disabled: progress is a convenience, not a requirement */
  }
}

/** Forgets every lesson's progress. Returns false when storage refused. */
export function clearProgress(): boolean {
  try {
    localStorage.removeItem(KEY);
    return true;
  } catch {
    return false;
  }
}

const WORDS = { none: 'Not started', started: 'Started', passed: 'Passed' } as const;

/** Fills every `[data-progress-for]` mark on the page (ProgressMark.astro) from the saved progress. */
export function paintProgress(root: ParentNode = document): void {
  const progress = readProgressEntries();
  const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  for (const mark of root.querySelectorAll<HTMLElement>('[data-progress-for]')) {
    const entry = progress[mark.dataset.progressFor ?? ''];
    const state = entry?.state ?? 'none';
    mark.dataset.state = state;
    const text = mark.querySelector('.progress-text');
    if (!text) continue;
    text.textContent = WORDS[state];
    if (entry?.passedAt) {
      const time = document.createElement('time');
      time.dateTime = new Date(entry.passedAt).toISOString();
      time.textContent = day.format(entry.passedAt);
      time.className = 'progress-time';
      text.append(' ', time);
    }
  }
}
