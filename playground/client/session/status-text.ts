/**
 * The playground's status line: what the lab is doing, in words, from the store's state.
 */
import type { LabState } from './lab-store.ts';

/** One sentence that says what the lab is doing, for the status line (and screen readers). */
export function describeStatus(state: LabState): string {
  const { phase, instances } = state;
  const up = instances.filter((i) => i.state === 'up').length;
  const summary = instances.map((i) => `${i.name} ${i.state}`).join(', ');
  switch (phase.name) {
    case 'idle':
      return 'Press Run (Ctrl+Enter) to start the cluster.';
    case 'connecting':
      return phase.detail;
    case 'starting':
      return instances.length > 0 ? `${phase.detail} ${up} of ${instances.length} instances up.` : phase.detail;
    case 'running': {
      const note = phase.note ? ` ${phase.note}` : '';
      if (state.checks.running) return `Running checks: ${state.checks.results.length} of ${state.checks.names.length} done.`;
      if (state.deploying) return `Rolling deploy in progress: ${summary}.${note}`;
      if (instances.length === 0) return `The lab is open. Press Run to start the cluster.${note}`;
      const down = instances.filter((i) => i.state !== 'up' && i.state !== 'starting');
      return (down.length === 0 ? `Running: ${up} of ${instances.length} instances up.` : `Running: ${summary}.`) + note;
    }
    case 'stopped':
      return 'The lab stopped. Press Run to start it again.';
    case 'lost':
      return `${phase.detail} Your edits are safe in the editor.`;
    case 'failed':
      return `The lab could not start: ${phase.detail}`;
  }
}
