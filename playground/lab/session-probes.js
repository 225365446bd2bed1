// @ts-check
/**
 * Probes every session lesson shares (log in everywhere, identities hold, log out everywhere, forged cookies,
 * expiry), each failing with what it observed.
 */
import { AFFINITY_COOKIE } from './balancer.js';
import { excerpt } from './excerpt.js';
import { isDenied, isSuccess } from './identity.js';

/**
 * Checks every session lesson shares, judged the way production would: a user is whom the server names, the
 * cookies are what a browser kept, and every instance is asked (each request pinned to one with `via`, so the
 * balancing strategy cannot hide an instance). Each probe fails with what it observed against what it expected.
 */

/** @typedef {import('./users.js').VirtualUser} VirtualUser */
/** @typedef {import('./http-client.js').LabResponse} LabResponse */
/**
 * The part of a check's `lab` the probes use.
 * @typedef {object} ProbeLab
 * @property {import('./users.js').UserRoutes} routes
 * @property {(name: string) => VirtualUser} user
 * @property {(method: string, path: string, options?: { body?: unknown, headers?: Record<string, string>, via?: string }) => Promise<LabResponse>} request
 * @property {(response: LabResponse, expected?: string) => string | null} named
 * @property {() => string[]} upInstances
 * @property {() => { name: string, state: string }[]} instances
 * @property {(condition: unknown, message: string, evidence?: LabResponse) => void} assert
 * @property {(message: string, evidence?: LabResponse) => never} fail
 * @property {() => number} random
 * @property {<T>(list: T[]) => T} pick
 * @property {(ms: number) => Promise<void>} sleep
 * @property {() => Promise<import('ioredis').Redis>} redis
 */

const FORGED_NAME = 'mallory';
/** A session shorter than this logs people out while they use the app: it is a bug, not an expiry policy. */
const MIN_SESSION_MS = 60_000;


/**
 * What an answer to `/me` said about `name`, in words.
 * @param {ProbeLab} lab @param {LabResponse} response @param {string} name
 */
export function describeAnswer(lab, response, name) {
  const where = response.instance ? ` from ${response.instance}` : '';
  if (response.status === 0) return `no answer (${response.error ?? 'connection failed'})`;
  if (isDenied(response.status)) return `${response.status}${where} (not logged in)`;
  const named = lab.named(response, name);
  if (isSuccess(response.status) && named === name) return `${response.status}${where} naming ${name}`;
  if (isSuccess(response.status) && named) return `${response.status}${where} naming "${named}" instead: a session mix-up, one user answered as another`;
  if (isSuccess(response.status)) {
    return `${response.status}${where} ${excerpt(response.body)}, which names nobody (a logged-in ${lab.routes.visit} answers JSON naming the user, e.g. {"user":"${name}"})`;
  }
  return `${response.status}${where}: ${excerpt(response.body)}`;
}

/**
 * A Cookie header of the session cookies a user holds for the visit route, without the balancer's affinity cookie.
 * @param {VirtualUser} user @param {string} path
 */
function sessionCookies(user, path) {
  return user.jar.list(path).filter((c) => c.key !== AFFINITY_COOKIE);
}

/**
 * Why a login left `user` without a session cookie, in words. An app that marks its cookie Secure sends none
 * when it believes the request came over plain http, which is what it sees behind a TLS-terminating balancer
 * unless it trusts the balancer's X-Forwarded-Proto.
 * @param {VirtualUser} user @param {LabResponse} login @param {string} visit the route that needs the cookie
 */
function noCookieKept(user, login, visit) {
  const sent = [login.headers['set-cookie'] ?? []].flat().filter((h) => !h.startsWith(`${AFFINITY_COOKIE}=`));
  if (sent.length === 0) {
    return (
      'an answer without any Set-Cookie header. The balancer terminates TLS as production load balancers do: browsers speak https to it, and ' +
      'the instances get plain http with X-Forwarded-Proto: https. A cookie marked Secure (express-session with cookie: { secure: true }) is ' +
      "sent only when the app trusts that header: app.set('trust proxy', 1)."
    );
  }
  const refused = user.refusedCookies.map((r) => `"${r.header.split(';')[0]}" (${r.reason})`);
  if (refused.length) return `Set-Cookie that a browser on this https site refuses: ${refused.join(', ')}.`;
  return `Set-Cookie ${sent.map((h) => `"${h}"`).join(', ')}, which a browser does not send with ${visit} (already expired, or its Path leaves ${visit} out).`;
}

/** @param {{ key: string, value: string }[]} cookies */
const cookieHeader = (cookies) => cookies.map((c) => `${c.key}=${c.value}`).join('; ');

/**
 * Runs of letters and digits in `value`, outside percent escapes (`%3A` is one character of the cookie, not three).
 * @param {string} value @returns {{ start: number, end: number }[]}
 */
function alnumRuns(value) {
  const masked = value.replace(/%[0-9A-Fa-f]{2}/g, '%%%');
  return [...masked.matchAll(/[A-Za-z0-9]+/g)].map((m) => ({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length }));
}

/** One letter or digit at `i` replaced by its neighbour. @param {string} value @param {number} i */
function bump(value, i) {
  const ch = value[i] ?? '';
  const next = /[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : ch === 'z' ? 'a' : ch === 'Z' ? 'A' : String.fromCharCode(ch.charCodeAt(0) + 1);
  return value.slice(0, i) + next + value.slice(i + 1);
}

/**
 * The value with one character changed, as a tampered cookie would be: once in its last run of letters and
 * digits (where a signature usually is) and once in its first (where an id usually is), each time in the middle
 * of the run. The middle, not the end: the last character of base64 may carry only padding bits, so changing it
 * can leave the decoded bytes as they were.
 * @param {string} value @returns {string[]}
 */
function tampered(value) {
  const runs = alnumRuns(value);
  const long = runs.filter((r) => r.end - r.start >= 2);
  const chosen = long.length ? [long.at(-1), long[0]] : runs.length ? [runs.at(-1)] : [];
  const out = new Set(chosen.map((r) => (r ? bump(value, Math.floor((r.start + r.end - 1) / 2)) : value)));
  out.delete(value);
  return out.size ? [...out] : [`${value}x`];
}

/**
 * When the value ends in a number (a counter: `7`, `s-1041`), the ids next to it, which a guessable scheme gives
 * to the users who logged in just before and after. @param {string} value @returns {string[]}
 */
function neighbours(value) {
  const match = /^(.*?)([0-9]+)$/.exec(value);
  if (!match || /[A-Za-z0-9]$/.test(match[1] ?? '')) return [];
  const [, head = '', digits = ''] = match;
  const n = BigInt(digits);
  const width = (/** @type {bigint} */ k) => String(k).padStart(digits.length, '0');
  return [n + 1n, ...(n > 0n ? [n - 1n] : [])].map((k) => head + width(k));
}

/**
 * A value of the same shape that nobody issued: letters stay letters (hex stays hex), digits stay digits, and
 * percent escapes, lone letters (a prefix such as `s:`) and everything else are kept.
 * @param {string} value @param {() => number} random
 */
function lookalike(value, random) {
  const pick = (/** @type {string} */ set) => set[Math.floor(random() * set.length)] ?? set[0];
  const hex = !/[g-zG-Z]/.test(value.replace(/%[0-9A-Fa-f]{2}/g, ''));
  const letters = hex ? 'abcdef' : 'abcdefghijklmnopqrstuvwxyz';
  const scramble = (/** @type {string} */ run) =>
    run.replace(/[0-9a-zA-Z]/g, (ch) => (/[0-9]/.test(ch) ? pick('0123456789') : ch === ch.toLowerCase() ? pick(letters) : pick(letters.toUpperCase())));
  for (const runs of [/%[0-9A-Fa-f]{2}|[0-9a-zA-Z]{2,}/g, /%[0-9A-Fa-f]{2}|[0-9a-zA-Z]/g]) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const made = value.replace(runs, (run) => (run.startsWith('%') ? run : scramble(run)));
      if (made !== value) return made;
    }
  }
  return `${value}0`;
}

/**
 * The value with the user's name swapped for another, read as plain text or, part by part (split at dots), as
 * base64: an unsigned cookie that carries its user. Undefined when the name is not in it.
 * @param {string} value @param {string} name
 */
function renamed(value, name) {
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {}
  if (decoded.includes(name)) return encodeURIComponent(decoded.split(name).join(FORGED_NAME));
  const parts = decoded.split('.');
  let changed = false;
  const swapped = parts.map((part) => {
    if (part.length < 4 || !/^[A-Za-z0-9+/_-]+=*$/.test(part)) return part;
    const encoding = /[-_]/.test(part) ? 'base64url' : 'base64';
    const text = Buffer.from(part, encoding).toString('utf8');
    if (!text.includes(name)) return part;
    changed = true;
    const again = Buffer.from(text.split(name).join(FORGED_NAME), 'utf8').toString(encoding);
    return part.endsWith('=') ? again : again.replace(/=+$/, '');
  });
  return changed ? encodeURIComponent(swapped.join('.')) : undefined;
}

/** "1 h", "40 s", "900 ms" @param {number} ms */
const duration = (ms) => (ms >= 3_600_000 ? `${Math.round(ms / 360_000) / 10} h` : ms >= 60_000 ? `${Math.round(ms / 6000) / 10} min` : ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`);

/** @param {ProbeLab} lab */
export function createSessionProbes(lab) {
  const visitPath = () => lab.routes.visit;
  /** The instance that answered each user's login in loginEverywhere, so a logout can be sent somewhere else. */
  const loginInstance = new WeakMap();

  /** Up instances, failing when none is: a probe that asks nobody proves nothing. */
  const instances = () => {
    const up = lab.upInstances();
    lab.assert(up.length > 0, `Expected at least one instance up to ask; observed ${lab.instances().map((i) => `${i.name} ${i.state}`).join(', ') || 'none'}.`);
    return up;
  };

  /**
   * GET the visit route through every up instance with `cookie` (none when empty); each answer must name nobody.
   * @param {string} cookie @param {string} what e.g. "Alice's cookie from before her logout"
   * @param {string} name the user the cookie belonged to
   */
  async function refusedEverywhere(cookie, what, name) {
    for (const instance of instances()) {
      const answer = await lab.request('GET', visitPath(), { headers: cookie ? { cookie } : {}, via: instance });
      const named = lab.named(answer, name);
      lab.assert(
        !(isSuccess(answer.status) && named),
        `Sent ${what} to ${visitPath()} on ${instance}. Expected it to be refused (401, or an answer naming nobody); observed ${describeAnswer(lab, answer, name)}.`,
        answer,
      );
      lab.assert(answer.status !== 0 && answer.status < 500, `Sent ${what} to ${visitPath()} on ${instance}. Expected a refusal; observed ${describeAnswer(lab, answer, name)}.`, answer);
    }
  }

  /**
   * `user`'s own visits through every up instance must find them logged out.
   * @param {VirtualUser} user @param {string} after what happened, e.g. "alice logged out on B"
   */
  async function loggedOutEverywhere(user, after) {
    for (const instance of instances()) {
      const visit = await user.visit({ via: instance });
      lab.assert(
        !(isSuccess(visit.status) && visit.named),
        `${after}. Expected GET ${visitPath()} on ${instance} to find ${user.name} logged out; observed ${describeAnswer(lab, visit, user.name)}.`,
        visit,
      );
    }
  }

  const probes = {
    /**
     * Log `name` in, then visit through every up instance: each must answer 2xx naming them. The login must set a
     * cookie, since that is all that tells users apart. Returns the user and the login's answer.
     * @param {string} name
     */
    async loginEverywhere(name) {
      const user = lab.user(name);
      const login = await user.login();
      lab.assert(isSuccess(login.status), `Expected POST ${lab.routes.login} {"user":"${name}"} to answer 2xx; observed ${describeAnswer(lab, login, name)}.`, login);
      lab.assert(
        sessionCookies(user, visitPath()).length > 0,
        `${name} logged in on ${login.instance} (${login.status}). Expected the answer to set a session cookie, which is all that tells one user from another; observed ${noCookieKept(user, login, visitPath())}`,
        login,
      );
      loginInstance.set(user, login.instance);
      for (const instance of instances()) {
        const visit = await user.visit({ via: instance });
        lab.assert(
          visit.loggedIn,
          `${name} logged in on ${login.instance}. Expected GET ${visitPath()} sent straight to ${instance} (every instance is asked, whatever the balancer would pick) to answer 2xx naming ${name}; observed ${describeAnswer(lab, visit, name)}.`,
          visit,
        );
      }
      return { user, login };
    },

    /**
     * Several users logged in at once, visiting every instance at the same moment: each answer must name the one
     * who asked (a "current user" kept anywhere but in the request mixes them up).
     * @param {string[]} names
     */
    async identitiesHold(names) {
      const people = [];
      for (const name of names) people.push((await probes.loginEverywhere(name)).user);
      for (let round = 0; round < 2; round++) {
        for (const instance of instances()) {
          const answers = await Promise.all(people.map((p) => p.visit({ via: instance })));
          const wrong = answers.find((a) => !a.loggedIn);
          if (wrong) {
            lab.fail(
              `${names.join(', ')} were logged in and asked ${visitPath()} on ${instance} at the same moment. Expected each answer to name the one who asked; ` +
                `observed for ${wrong.user}: ${describeAnswer(lab, wrong, wrong.user)}.`,
              wrong,
            );
          }
        }
      }
      return people;
    },

    /**
     * `user` (logged in, known to every instance) logs out. Afterwards no instance may name them, neither with
     * the cookies the browser kept nor with the old cookie replayed, as a stolen or stale one would be. The logout
     * is sent to `options.via`, by default to an instance other than the one that answered the login (when the
     * user came from loginEverywhere and another is up): a session is one thing, ended wherever the user ends it,
     * and a copy left behind in the instance that created it must not outlive it.
     * @param {VirtualUser} user @param {{ via?: string }} [options]
     */
    async logoutEverywhere(user, options = {}) {
      const before = cookieHeader(sessionCookies(user, visitPath()));
      lab.assert(before, `Expected ${user.name} to hold a session cookie before logging out; observed none.`);
      const up = instances();
      const others = up.filter((i) => i !== loginInstance.get(user));
      const via = options.via ?? lab.pick(others.length ? others : up);
      const logout = await user.logout({ via });
      lab.assert(isSuccess(logout.status), `Expected POST ${lab.routes.logout} as ${user.name} on ${via} to answer 2xx; observed ${describeAnswer(lab, logout, user.name)}.`, logout);
      const where = loginInstance.get(user) ? ` (after logging in on ${loginInstance.get(user)})` : '';
      await loggedOutEverywhere(user, `${user.name} logged out on ${logout.instance ?? via}${where}`);
      await refusedEverywhere(before, `${user.name}'s session cookie from before the logout on ${logout.instance ?? via}`, user.name);
    },

    /**
     * Cookies nobody issued must log nobody in: no cookie at all, a cookie the app never set, `user`'s session
     * cookies with one character changed, cookies of the same shape with made-up values, and (when a cookie carries
     * the user's name) the name swapped for that of another user who is logged in too.
     * @param {VirtualUser} user logged in
     */
    async forgedCookiesRefused(user) {
      const cookies = sessionCookies(user, visitPath());
      lab.assert(cookies.length > 0, `Expected ${user.name} to hold a session cookie; observed none.`);
      const shown = cookies.map((c) => c.key).join(', ');
      await refusedEverywhere('', 'a request with no cookie at all', user.name);
      await refusedEverywhere('lab_probe=1; theme=dark', 'a request carrying only cookies the app never set (lab_probe=1; theme=dark)', user.name);
      const variants = Math.max(...cookies.map((c) => tampered(c.value).length));
      for (let v = 0; v < variants; v++) {
        const forged = cookies.map((c) => {
          const options = tampered(c.value);
          return { ...c, value: options[Math.min(v, options.length - 1)] ?? c.value };
        });
        await refusedEverywhere(cookieHeader(forged), `${user.name}'s cookie (${shown}) with one character changed (${cookieHeader(forged)})`, user.name);
      }
      await refusedEverywhere(cookieHeader(cookies.map((c) => ({ ...c, value: lookalike(c.value, lab.random) }))), `a made-up cookie (${shown}) of the same shape as ${user.name}'s`, user.name);
      for (const [i, cookie] of cookies.entries()) {
        for (const guess of neighbours(cookie.value)) {
          const forged = cookies.map((c, j) => (j === i ? { ...c, value: guess } : c));
          await refusedEverywhere(cookieHeader(forged), `${user.name}'s cookie with the number in ${cookie.key} counted on by one (${cookie.key}=${guess}), the id a guessable scheme gives the next or previous user`, user.name);
        }
      }
      const swapped = cookies.map((c) => ({ ...c, value: renamed(c.value, user.name) ?? c.value }));
      if (swapped.some((c, i) => c.value !== cookies[i]?.value)) {
        // Someone of that name is logged in too, so a server that looks the name up (is "mallory" logged in?)
        // instead of checking the cookie is caught as surely as one that believes it.
        if (user.name !== FORGED_NAME) await lab.user(FORGED_NAME).login();
        await refusedEverywhere(cookieHeader(swapped), `${user.name}'s cookie edited to say "${FORGED_NAME}", who is logged in too`, FORGED_NAME);
      }
    },

    /**
     * The session `user` holds lives in Redis and expires: every key that holds it has a TTL of at least a minute
     * (a key named after the session id from the cookie or holding it; failing those, a key whose value names the
     * user), and a session cookie that expires lasts at least a minute too. With `expireNow`, those keys are then
     * expired at once, as time would, and no instance may name the user any more: Redis is where the session
     * lives, so a copy kept in an instance must not outlive it. (That logs the user out.)
     * @param {VirtualUser} user logged in @param {{ expireNow?: boolean }} [options]
     */
    async sessionExpires(user, options = {}) {
      const cookies = sessionCookies(user, visitPath());
      lab.assert(cookies.length > 0, `Expected ${user.name} to hold a session cookie; observed none (a cookie that expired within seconds of the login would do that).`);
      for (const cookie of cookies) {
        lab.assert(
          cookie.ttl >= MIN_SESSION_MS,
          `Expected ${user.name}'s session cookie ${cookie.key} to last at least ${duration(MIN_SESSION_MS)} (or as long as the browser); observed ${duration(cookie.ttl)} left. ` +
            `A session that short logs people out while they use the app (express-session's cookie.maxAge is in milliseconds).`,
        );
      }
      const ids = cookies.flatMap((c) => {
        let value = c.value;
        try {
          value = decodeURIComponent(value);
        } catch {}
        return value.split(/[:.]/).filter((part) => part.length >= 8);
      });
      const redis = await lab.redis();
      const keys = await redis.keys('*');
      /** @type {string[]} */
      const byId = [];
      /** @type {string[]} */
      const byName = [];
      for (const key of keys) {
        if (ids.some((id) => key.includes(id))) {
          byId.push(key);
          continue;
        }
        const value = await readValue(redis, key);
        if (ids.some((id) => value.includes(id))) byId.push(key);
        else if (value.includes(user.name)) byName.push(key);
      }
      const holding = byId.length ? byId : byName;
      lab.assert(
        holding.length > 0,
        `Expected a Redis key holding ${user.name}'s session (named after its id, holding it, or naming ${user.name}); observed ${keys.length} key(s)${keys.length ? `: ${keys.slice(0, 5).join(', ')}` : ''}, none of them holding it.`,
      );
      for (const key of holding) {
        const ttl = await redis.pttl(key);
        lab.assert(ttl > 0, `Expected the key "${key}", which holds ${user.name}'s session, to expire (a positive TTL); observed ${ttl === -1 ? 'no expiry: abandoned sessions would pile up forever' : `TTL ${ttl}`}.`);
        lab.assert(
          ttl >= MIN_SESSION_MS,
          `Expected the key "${key}", which holds ${user.name}'s session, to live at least ${duration(MIN_SESSION_MS)}; observed a TTL of ${duration(ttl)}. ` +
            `A session that short logs people out while they use the app (check the unit: EX is seconds, PX milliseconds).`,
        );
      }
      if (options.expireNow) {
        for (const key of holding) await redis.pexpire(key, 1);
        for (let tries = 0; tries < 40 && (await redis.exists(...holding)) > 0; tries++) await lab.sleep(25);
        await loggedOutEverywhere(user, `The Redis key(s) holding ${user.name}'s session (${holding.join(', ')}) expired, as they would after the TTL`);
      }
      return holding;
    },
  };
  return probes;
}

/** A key's contents as text, whatever its type. @param {import('ioredis').Redis} redis @param {string} key */
async function readValue(redis, key) {
  const type = await redis.type(key);
  if (type === 'string') return (await redis.get(key)) ?? '';
  if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
  if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, 50));
  if (type === 'set') return JSON.stringify(await redis.srandmember(key, 50));
  if (type === 'zset') return JSON.stringify(await redis.zrange(key, 0, 50));
  return '';
}
