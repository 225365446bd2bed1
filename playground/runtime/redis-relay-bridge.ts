/**
 * The page's part of hosted Redis for the in-browser sandbox. The sandbox cannot reach the lab host over TCP, so
 * its Redis tunnel reports each connection as `tunnel` events (open, data, close); this bridge carries each one
 * over its own WebSocket to the lab host's relay and writes what comes back as `tunnel` commands.
 * See playground/lab/redis/tunnel.js (the sandbox end) and playground/server/redis-relay.ts (the host end).
 */

/** What the lab host answers at POST /redis-relay/session (see redis-relay.ts). */
export interface RelaySession {
  token: string;
  relay: string;
  backend: string;
  maxmemory?: string;
  idleSeconds?: number;
}

export interface RelayAccess {
  /** The lab host's origin, e.g. https://labs.example.org (in a browser, the page's own). */
  origin: string;
  fetch?: typeof fetch;
  /** Opens a WebSocket; a browser sends the page's Origin by itself, tests pass one that sets it. */
  openSocket?: (url: string) => WebSocket;
  /** Give up on creating a session after this long (default 5 s). */
  timeoutMs?: number;
}

/** Raw bytes per command line, as in tunnel.js: base64 of this stays well under a 4 KB terminal line. */
const CHUNK_BYTES = 2048;

/**
 * Ask the lab host for a hosted Redis session. Resolves with the session, or with the reason there is none (a
 * static host answers 404; a host without redis-server, or a full one, says why).
 */
export async function createRelaySession(access: RelayAccess): Promise<{ session: RelaySession } | { reason: string }> {
  const fetcher = access.fetch ?? fetch;
  ensureAffinityCookie();
  try {
    const response = await fetcher(new URL('/redis-relay/session', access.origin), {
      method: 'POST',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(access.timeoutMs ?? 5000),
    });
    const json = /json/.test(response.headers.get('content-type') ?? '') ? ((await response.json()) as Partial<RelaySession> & { error?: string }) : undefined;
    if (response.status === 201 && json?.token && json.relay) return { session: json as RelaySession };
    return { reason: json?.error ?? `this site has no lab host with a Redis relay (HTTP ${response.status})` };
  } catch (error) {
    return { reason: `the Redis relay did not answer (${(error as Error).message})` };
  }
}

export const AFFINITY_COOKIE = 'lab_affinity';

/**
 * Behind several lab hosts, a balancer sends everything with the same lab_affinity cookie to the same host
 * (docs/multi-host.md), so the session and its connections meet. The page sets it once, before asking.
 */
export function ensureAffinityCookie(): void {
  if (typeof document === 'undefined' || document.cookie.split('; ').some((c) => c.startsWith(`${AFFINITY_COOKIE}=`))) return;
  const value = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  document.cookie = `${AFFINITY_COOKIE}=${value}; path=/; max-age=${30 * 86400}; SameSite=Strict`;
}

/** At most one look at the session (and renewal) this often, however many connections fail. */
const RENEW_EVERY_MS = 3000;

export class RelayBridge {
  private url = '';
  private session!: RelaySession;
  private readonly access: RelayAccess;
  private readonly write: (line: string) => unknown;
  private readonly notice: (text: string) => void;
  private readonly connections = new Map<number, { ws: WebSocket; queue: Uint8Array<ArrayBuffer>[] }>();
  private ended = false;
  private lastRenewal = 0;
  private renewing: Promise<void> | undefined;

  /**
   * `write` sends one line to the supervisor's stdin; `notice` tells the learner something happened to their
   * hosted Redis (it was renewed after its session ended).
   */
  constructor(access: RelayAccess, session: RelaySession, write: (line: string) => unknown, notice: (text: string) => void = () => undefined) {
    this.access = access;
    this.write = write;
    this.notice = notice;
    this.use(session);
  }

  private use(session: RelaySession): void {
    this.session = session;
    const url = new URL(session.relay, this.access.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', session.token);
    this.url = url.toString();
  }

  /** The session's token now (it changes when an ended session is renewed). */
  get token(): string {
    return this.session.token;
  }

  /** Open WebSockets, for tests and figures. */
  get open(): number {
    return this.connections.size;
  }

  /** A `tunnel` event from the supervisor. */
  handle(event: Record<string, unknown>): void {
    const conn = Number(event.conn);
    if (event.op === 'open') this.connect(conn);
    else if (event.op === 'data' && typeof event.data === 'string') {
      const entry = this.connections.get(conn);
      if (!entry) return;
      const bytes = fromBase64(event.data);
      if (entry.ws.readyState === WebSocket.OPEN) entry.ws.send(bytes);
      else entry.queue.push(bytes);
    } else if (event.op === 'close') {
      const entry = this.connections.get(conn);
      this.connections.delete(conn);
      entry?.ws.close();
    }
  }

  private connect(conn: number): void {
    if (this.ended) return this.send({ type: 'tunnel', op: 'close', conn });
    const ws = (this.access.openSocket ?? ((url: string) => new WebSocket(url)))(this.url);
    ws.binaryType = 'arraybuffer';
    const entry = { ws, queue: [] as Uint8Array<ArrayBuffer>[] };
    this.connections.set(conn, entry);
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      for (const bytes of entry.queue) ws.send(bytes);
      entry.queue = [];
    });
    ws.addEventListener('message', (message: MessageEvent) => {
      const bytes = typeof message.data === 'string' ? new TextEncoder().encode(message.data) : new Uint8Array(message.data as ArrayBuffer);
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
        this.send({ type: 'tunnel', op: 'data', conn, data: toBase64(bytes.subarray(at, at + CHUNK_BYTES)) });
      }
    });
    const closed = () => {
      // Refused before it opened: the session may have ended (idle, lifetime, a host restart).
      if (!opened) void this.renewIfEnded();
      if (this.connections.get(conn) !== entry) return;
      this.connections.delete(conn);
      this.send({ type: 'tunnel', op: 'close', conn });
    };
    ws.addEventListener('close', closed);
    ws.addEventListener('error', closed);
  }

  /**
   * When the host no longer knows the session, ask for a new one, so the lab's Redis clients (which reconnect by
   * themselves) get a working, if empty, Redis again instead of failing until the lab is restarted.
   */
  private renewIfEnded(): Promise<void> {
    if (this.ended || this.renewing || Date.now() - this.lastRenewal < RENEW_EVERY_MS) return this.renewing ?? Promise.resolve();
    this.lastRenewal = Date.now();
    this.renewing = (async () => {
      const fetcher = this.access.fetch ?? fetch;
      const check = await fetcher(new URL('/redis-relay/session', this.access.origin), {
        headers: { authorization: `Bearer ${this.session.token}` },
        signal: AbortSignal.timeout(this.access.timeoutMs ?? 5000),
      }).catch(() => undefined);
      if (check?.status !== 404 || this.ended) return;
      const created = await createRelaySession(this.access);
      if (this.ended) return;
      if ('session' in created) {
        this.use(created.session);
        this.notice('The hosted Redis session had ended, so a new, empty one was started; data stored before is gone.');
      } else {
        this.notice(`The hosted Redis session has ended and no new one could be started: ${created.reason}.`);
      }
    })().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private send(command: Record<string, unknown>): void {
    void Promise.resolve(this.write(JSON.stringify(command) + '\n')).catch(() => undefined);
  }

  /** Close every connection and end the session on the host, so its Redis stops now rather than when idle. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const { ws } of this.connections.values()) ws.close();
    this.connections.clear();
    await (this.access.fetch ?? fetch)(new URL('/redis-relay/session', this.access.origin), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${this.session.token}` },
      keepalive: true,
    }).catch(() => undefined);
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
