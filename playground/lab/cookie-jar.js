// @ts-check
/**
 * A virtual user's cookies, kept as a browser on the course's https site keeps them (tough-cookie), and the ones
 * it would refuse reported with the reason.
 */
import { CookieJar as ToughJar } from 'tough-cookie';

/**
 * One virtual user's cookies, kept as a browser keeps them for the lab's site, which production serves over https
 * behind a TLS-terminating balancer: Secure cookies are kept and sent, Path and HttpOnly are honoured, and a cookie
 * goes away when its Max-Age or Expires passes (on the clock, not only when the next Set-Cookie arrives) or when
 * the app sends it again already expired. tough-cookie does the RFC 6265 work.
 */
export const SITE = 'https://127.0.0.1';

export class CookieJar {
  constructor() {
    this.jar = new ToughJar(undefined, { looseMode: true });
  }

  /** @param {string} path */
  url(path = '/') {
    return `${SITE}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /**
   * Keep what the app set in answer to a request for `path`. Cookies a browser would reject are left out and
   * returned with the reason, for messages.
   * @param {string[]} setCookieHeaders @param {string} [path]
   */
  store(setCookieHeaders, path = '/') {
    /** @type {{ header: string, reason: string }[]} */
    const refused = [];
    for (const header of setCookieHeaders) {
      try {
        this.jar.setCookieSync(header, this.url(path));
      } catch (error) {
        refused.push({ header, reason: /** @type {Error} */ (error).message });
      }
    }
    return refused;
  }

  /** The Cookie header a browser would send with a request for `path` now ('' when none). @param {string} [path] */
  header(path = '/') {
    return this.jar.getCookieStringSync(this.url(path));
  }

  /**
   * The cookies a request for `path` would carry now, each with the time it has left in ms (Infinity for one that
   * lasts as long as the browser). @param {string} [path] @returns {{ key: string, value: string, ttl: number }[]}
   */
  list(path = '/') {
    return this.jar.getCookiesSync(this.url(path)).map((c) => ({ key: c.key, value: c.value, ttl: c.TTL() }));
  }

  /** The values of every cookie kept for the site now, whatever its Path. @returns {string[]} */
  values() {
    return this.jar.getCookiesSync(this.url('/'), { allPaths: true }).map((c) => c.value);
  }

  clear() {
    this.jar.removeAllCookiesSync();
  }
}
