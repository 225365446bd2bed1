/**
 * Learner progress, kept in this browser only (localStorage). Lesson pages mark a lesson
 * "started" when it is opened; the playground marks it "passed" when every check passes.
 * The course map reads the marks. Nothing here throws: private modes without storage just
 * show every lesson as not started.
 */
export type ProgressState = 'started' | 'passed';

const KEY = 'stateless-lab:progress:v1';

export function readProgress(): Record<string, ProgressState> {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (!parsed || typeof parsed !== 'object') return {};
    const out: Record<string, ProgressState> = {};
    for (const [slug, state] of Object.entries(parsed)) {
      if (state === 'started' || state === 'passed') out[slug] = state;
    }
    return out;
  } catch {
    return {};
  }
}

/** Records progress; never downgrades "passed" to "started". */
export function markProgress(slug: string, state: ProgressState): void {
  const all = readProgress();
  if (all[slug] === 'passed' && state === 'started') return;
  all[slug] = state;
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* storage full or disabled: progress is a convenience, not a requirement */
  }
}
