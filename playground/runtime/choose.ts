import { ServerRuntime } from './server-runtime.ts';
import type { Runtime } from './types.ts';

export type RuntimeKind = 'server' | 'webcontainer';

/** `?runtime=server|webcontainer` forces a runtime; anything else means automatic. */
export function requestedRuntime(search: string = window.location.search): RuntimeKind | 'auto' {
  const value = new URLSearchParams(search).get('runtime');
  return value === 'server' || value === 'webcontainer' ? value : 'auto';
}

/**
 * The runtime for this page. The WebContainer runtime is not built yet, so every choice resolves to the lab host;
 * a forced `webcontainer` says so instead of pretending.
 */
export function chooseRuntime(): { runtime: Runtime; note?: string } {
  const requested = requestedRuntime();
  if (requested === 'webcontainer') {
    return { runtime: new ServerRuntime(), note: 'The in-browser runtime is not available in this build; using the lab host instead.' };
  }
  return { runtime: new ServerRuntime() };
}
