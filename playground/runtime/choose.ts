/**
 * Which runtime a page uses: `?runtime=`, else the WebContainer when the page can run one, else the lab host.
 */
import { ServerRuntime } from './server-runtime.ts';
import type { Runtime } from './types.ts';
import { WebContainerRuntime } from './webcontainer-runtime.ts';

export type RuntimeKind = 'server' | 'webcontainer';

/** What the lab host says about itself at GET /lab (absent on a static host). */
export interface LabHostInfo {
  labHost: true;
  /** The host's advice for "automatic": an offline classroom host prefers itself over a WebContainer. */
  prefer: RuntimeKind;
  /** False when the host serves a class with a join token and this browser has not opened the join link. */
  joined: boolean;
}

const JOIN_NOTE = "This lab host needs your class's join link: ask your teacher for it and open it in this browser";

/** `?runtime=server|webcontainer` forces a runtime; anything else means automatic. */
export function requestedRuntime(search: string = window.location.search): RuntimeKind | 'auto' {
  const value = new URLSearchParams(search).get('runtime');
  return value === 'server' || value === 'webcontainer' ? value : 'auto';
}

/** Ask the site whether it has a lab host. A static host answers 404 (or HTML), which means no. */
export async function probeLabHost(fetcher: typeof fetch = fetch): Promise<LabHostInfo | undefined> {
  try {
    const response = await fetcher('/lab', { headers: { accept: 'application/json' } });
    if (!response.ok || !/json/.test(response.headers.get('content-type') ?? '')) return undefined;
    const info = (await response.json()) as Partial<LabHostInfo>;
    return info.labHost === true ? { labHost: true, prefer: info.prefer === 'webcontainer' ? 'webcontainer' : 'server', joined: info.joined !== false } : undefined;
  } catch {
    return undefined;
  }
}

/** Can this browser run a WebContainer at all? */
export function webContainerSupported(): { ok: true } | { ok: false; why: string } {
  if (globalThis.crossOriginIsolated !== true) return { ok: false, why: 'the page is not cross-origin isolated' };
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, why: 'this browser has no SharedArrayBuffer' };
  return { ok: true };
}

export interface RuntimePlan {
  /** Runtimes to try, in order; the next is used when one fails to boot. */
  order: RuntimeKind[];
  /** Said to the learner when the plan is not the obvious one. */
  note?: string;
}

/**
 * Decide which runtimes to try. Automatic: the WebContainer when the browser can run it, then the lab host if
 * the site has one — unless the lab host asks to be preferred (the default for a self-hosted, offline host,
 * where a WebContainer would only time out).
 */
export function planRuntimes(requested: RuntimeKind | 'auto', host: LabHostInfo | undefined, support: ReturnType<typeof webContainerSupported>): RuntimePlan {
  if (host && !host.joined) {
    if (requested !== 'server' && support.ok) return { order: ['webcontainer'], note: `${JOIN_NOTE}. Until then labs run in your browser.` };
    return { order: [], note: `${JOIN_NOTE}.` };
  }
  if (requested === 'server') return { order: ['server'] };
  if (requested === 'webcontainer') return { order: ['webcontainer'] };
  if (host?.prefer === 'server') return { order: ['server'] };
  if (!support.ok) return host ? { order: ['server'], note: `Using the lab host: ${support.why}.` } : { order: [], note: `The in-browser sandbox cannot run here: ${support.why}, and this site has no lab host.` };
  return { order: host ? ['webcontainer', 'server'] : ['webcontainer'] };
}

export function createRuntime(kind: RuntimeKind): Runtime {
  return kind === 'server' ? new ServerRuntime() : new WebContainerRuntime();
}
