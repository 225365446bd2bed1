// @ts-check
import { AFFINITY_COOKIE } from './balancer.js';
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
 * @property {() => Promise<import('ioredis').Redis>} redis
 */

const FORGED_NAME = 'mallory';

/** @param {string} text */
const excerpt = (text) => {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || '(empty body)';
};

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

/** @param {{ key: string, value: string }[]} cookies */
const cookieHeader = (cookies) => cookies.map((c) => `${c.key}=${c.value}`).join('; ');

/** The last letter or digit of `value` changed, as a tampered cookie would be. @param {string} value */
function tamper(value) {
  for (let i = value.length - 1; i >= 0; i--) {
    const ch = value[i] ?? '';
    if (/[0-9]/.test(ch)) return value.slice(0, i) + String((Number(ch) + 1) % 10) + value.slice(i + 1);
    if (/[a-z]/i.test(ch)) return value.slice(0, i) + (ch === 'z' ? 'a' : ch === 'Z' ? 'A' : String.fromCharCode(ch.charCodeAt(0) + 1)) + value.slice(i + 1);
  }
  return `${value}x`;
}

/** A value of the same shape (letters stay letters, digits stay digits, the rest kept) that nobody issued. @param {string} value @param {() => number} random */
function lookalike(value, random) {
  const pick = (/** @type {string} */ set) => set[Math.floor(random() * set.length)] ?? set[0];
  return value.replace(/[0-9]/g, () => pick('0123456789')).replace(/[a-z]/g, () => pick('abcdefghijklmnopqrstuvwxyz')).replace(/[A-Z]/g, () => pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
}

/**
 * The value with the user's name swapped for another, read as plain text or as base64 (an unsigned cookie that
 * carries its user); undefined when the name is not in it.
 * @param {string} value @param {string} name
 */
function renamed(value, name) {
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {}
  if (decoded.includes(name)) return encodeURIComponent(decoded.split(name).join(FORGED_NAME));
  for (const encoding of /** @type {const} */ (['base64url', 'base64'])) {
    const text = Buffer.from(decoded, encoding).toString('utf8');
    if (text.includes(`"${name}"`) || text.includes(`=${name}`)) return Buffer.from(text.split(name).join(FORGED_NAME), 'utf8').toString(encoding);
  }
  return undefined;
}

/** @param {ProbeLab} lab */
export function createSessionProbes(lab) {
  const visitPath = () => lab.routes.visit;

  /** Up instances, failing when none is: a probe that asks nobody proves nothing. */
  const instances = () => {
    const up = lab.upInstances();
    lab.assert(up.length > 0, `Expected at least one instance up to ask; observed ${lab.instances().map((i) => `${i.name} ${i.state}`).join(', ') || 'none'}.`);
    return up;
  };

  /**
   * GET the visit route through every up instance with `cookie`; each answer must name nobody.
   * @param {string} cookie @param {string} what e.g. "Alice's cookie from before her logout"
   * @param {string} name the user the cookie belonged to
   */
  async function refusedEverywhere(cookie, what, name) {
    for (const instance of instances()) {
      const answer = await lab.request('GET', visitPath(), { headers: { cookie }, via: instance });
      const named = lab.named(answer, name);
      lab.assert(
        !(isSuccess(answer.status) && named),
        `Sent ${what} to ${visitPath()} on ${instance}. Expected it to be refused (401, or an answer naming nobody); observed ${describeAnswer(lab, answer, name)}.`,
        answer,
      );
      lab.assert(answer.status !== 0 && answer.status < 500, `Sent ${what} to ${visitPath()} on ${instance}. Expected a refusal; observed ${describeAnswer(lab, answer, name)}.`, answer);
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
        `${name} logged in on ${login.instance} (${login.status}). Expected the answer to set a session cookie, which is all that tells one user from another; observed no cookie kept.`,
        login,
      );
      for (const instance of instances()) {
        const visit = await user.visit({ via: instance });
        lab.assert(
          visit.loggedIn,
          `${name} logged in on ${login.instance}. Expected GET ${visitPath()} on ${instance} to answer 2xx naming ${name}; observed ${describeAnswer(lab, visit, name)}.`,
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
     * the cookies the browser kept nor with the old cookie replayed, as a stolen or stale one would be.
     * @param {VirtualUser} user
     */
    async logoutEverywhere(user) {
      const before = cookieHeader(sessionCookies(user, visitPath()));
      lab.assert(before, `Expected ${user.name} to hold a session cookie before logging out; observed none.`);
      const logout = await user.logout();
      lab.assert(isSuccess(logout.status), `Expected POST ${lab.routes.logout} as ${user.name} to answer 2xx; observed ${describeAnswer(lab, logout, user.name)}.`, logout);
      for (const instance of instances()) {
        const visit = await user.visit({ via: instance });
        lab.assert(
          !(isSuccess(visit.status) && visit.named),
          `${user.name} logged out on ${logout.instance}. Expected GET ${visitPath()} on ${instance} to find them logged out; observed ${describeAnswer(lab, visit, user.name)}.`,
          visit,
        );
      }
      await refusedEverywhere(before, `${user.name}'s session cookie from before the logout on ${logout.instance}`, user.name);
    },

    /**
     * Cookies nobody issued must log nobody in: `user`'s session cookies with one character changed, cookies of
     * the same shape with made-up values, and (when a cookie carries the user's name) the name swapped.
     * @param {VirtualUser} user logged in
     */
    async forgedCookiesRefused(user) {
      const cookies = sessionCookies(user, visitPath());
      lab.assert(cookies.length > 0, `Expected ${user.name} to hold a session cookie; observed none.`);
      const shown = cookies.map((c) => c.key).join(', ');
      await refusedEverywhere(cookieHeader(cookies.map((c) => ({ ...c, value: tamper(c.value) }))), `${user.name}'s cookie (${shown}) with its last character changed`, user.name);
      await refusedEverywhere(cookieHeader(cookies.map((c) => ({ ...c, value: lookalike(c.value, lab.random) }))), `a made-up cookie (${shown}) of the same shape as ${user.name}'s`, user.name);
      const swapped = cookies.map((c) => ({ ...c, value: renamed(c.value, user.name) ?? c.value }));
      if (swapped.some((c, i) => c.value !== cookies[i]?.value)) {
        await refusedEverywhere(cookieHeader(swapped), `${user.name}'s cookie edited to say "${FORGED_NAME}"`, FORGED_NAME);
      }
    },

    /**
     * The session `user` holds lives in Redis and expires: every key that holds it (its value names the user, or
     * its name carries the session id from the cookie) has a TTL.
     * @param {VirtualUser} user logged in
     */
    async sessionExpires(user) {
      const ids = sessionCookies(user, visitPath()).flatMap((c) => {
        let value = c.value;
        try {
          value = decodeURIComponent(value);
        } catch {}
        return value.split(/[:.]/).filter((part) => part.length >= 8);
      });
      const redis = await lab.redis();
      const keys = await redis.keys('*');
      /** @type {string[]} */
      const holding = [];
      for (const key of keys) {
        if (ids.some((id) => key.includes(id))) {
          holding.push(key);
          continue;
        }
        const value = await readValue(redis, key);
        if (value.includes(user.name)) holding.push(key);
      }
      lab.assert(
        holding.length > 0,
        `Expected a Redis key holding ${user.name}'s session (named after its id or naming ${user.name}); observed ${keys.length} key(s)${keys.length ? `: ${keys.slice(0, 5).join(', ')}` : ''}, none of them holding it.`,
      );
      for (const key of holding) {
        const ttl = await redis.pttl(key);
        lab.assert(ttl > 0, `Expected the key "${key}", which holds ${user.name}'s session, to expire (a positive TTL); observed ${ttl === -1 ? 'no expiry: abandoned sessions would pile up forever' : `TTL ${ttl}`}.`);
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
