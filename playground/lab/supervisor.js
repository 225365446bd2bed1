// @ts-check
/**
 * The lab supervisor: one process that owns the whole cluster (Redis, app instances, balancer, virtual users,
 * grader). It reads commands as JSON lines on stdin and writes events as JSON lines on stdout — nothing else.
 * When stdin closes or the process is told to stop, every child goes with it.
 *
 * Environment: LAB_APP_DIR (learner files, default ./app), LAB_CHECKS (default ./checks.js), LAB_PORT (balancer,
 * default 0 = any free port), LAB_REDIS (auto | redis-server | js | url | relay), REDIS_URL, LAB_ID,
 * LAB_PORTS ("first-last": the only ports this lab may use, when labs share a network), LAB_STARTUP_TIMEOUT_MS,
 * LAB_PROXY_READ_TIMEOUT_MS (the balancer's read timeout, default 60 s), SESSION_SECRET (the instances' one secret;
 * random per lab when unset).
 * Hosted Redis (LAB_REDIS=relay): LAB_REDIS_RELAY_URL (+ LAB_REDIS_RELAY_ORIGIN) lets the tunnel reach the relay
 * itself; without it the tunnel's connections travel over the page as `tunnel` events and commands.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { Redis } from 'ioredis';
import { createBalancer } from './balancer.js';
import { Cluster } from './cluster.js';
import { createCheckApi } from './check-api.js';
import { number, parseCommand, text } from './commands.js';
import { emit, emitRequest, flushEvents, protectStdout } from './events.js';
import { loadChecks, randomSeed, runChecks, selectChecks } from './grader.js';
import { rememberWorld, restoreWorld } from './learner-world.js';
import { freePort, portRange } from './ports.js';
import { startRedis } from './redis/provider.js';
import { sessionTokens } from './redis/session-keys.js';
import { createRedisSummary } from './redis/summary.js';
import { startRedisTap } from './redis/tap.js';
import { DEFAULT_ROUTES, isStrategy, MAX_BURST, STRATEGIES } from './rules.js';
import { DEFAULT_USERS, startTraffic, VirtualUser } from './users.js';

protectStdout();

const appDir = path.resolve(process.env.LAB_APP_DIR ?? 'app');
const checksFile = path.resolve(process.env.LAB_CHECKS ?? 'checks.js');
const labId = process.env.LAB_ID ?? String(process.pid);
/**
 * One secret per lab, the same for every instance, as a deployment hands all its containers the same secret: a
 * cookie signed by A must verify on B. An author or a host may fix it with SESSION_SECRET.
 */
const sessionSecret = process.env.SESSION_SECRET || randomBytes(32).toString('base64url');
/** What every instance finds in its environment, beside PORT and INSTANCE_ID (REDIS_URL once Redis is up). */
const instanceEnv = { LAB_ID: labId, SESSION_SECRET: sessionSecret };

/** Lab settings, as given by the last start command. */
const settings = {
  instances: 3,
  /** @type {import('./balancer.js').Strategy} */
  strategy: 'round-robin',
  entry: 'server.js',
  routes: { ...DEFAULT_ROUTES },
};

/** @type {Awaited<ReturnType<typeof startRedis>> | undefined} */
let redis;
/** @type {Awaited<ReturnType<typeof startRedisTap>> | undefined} */
let tap;
/** @type {Redis | undefined} */
let redisClient;
let balancerPort = 0;
let shuttingDown = false;
/**
 * Steady traffic of the learner's users, while it is on, with the settings it was started with.
 * @type {{ stop: () => void, settings: import('./learner-world.js').TrafficSettings } | undefined}
 */
let traffic;

const cluster = new Cluster({
  appDir,
  entry: settings.entry,
  env: instanceEnv,
  // Generous: a loaded classroom host (or CI) can take several seconds to load express, ioredis and socket.io.
  startupTimeoutMs: Number(process.env.LAB_STARTUP_TIMEOUT_MS ?? 10_000),
  onState: (instance) => emit({ type: 'process', role: 'instance', ...instance.toJSON() }),
  onLog: (instance, stream, line) => emit({ type: 'log', name: instance.name, stream, text: line }),
  onDeploy: (event) => emit({ type: 'deploy', ...event }),
  balancerPort: () => balancerPort,
});

const balancer = createBalancer({
  strategy: settings.strategy,
  backends: () => cluster.list(),
  describe: () => `Instances: ${cluster.list().map((i) => `${i.name} ${i.state}${i.reason ? ` (${i.reason})` : ''}`).join('; ') || 'none'}.`,
  onRequest: emitRequest,
});

/**
 * The learner's own virtual users (a check makes users of its own, see check-api/users.js).
 * @type {Map<string, VirtualUser>}
 */
const users = new Map();
/** @param {string} name */
function user(name) {
  if (!/^[a-z][a-z0-9_-]{0,31}$/i.test(name)) throw new Error(`user names are letters and digits, got "${name}"`);
  let found = users.get(name);
  if (!found) {
    found = new VirtualUser(name, { port: () => balancerPort, routes: settings.routes, onResult: reportUser, others: () => users.keys() });
    users.set(name, found);
  }
  return found;
}

/** @param {import('./users.js').UserResult} result */
function reportUser(result) {
  emit({
    type: 'user', user: result.user, action: result.action, status: result.status, instance: result.instance,
    loggedIn: result.loggedIn, loggedOut: result.loggedOut, named: result.named, mixup: result.mixup, refused: result.refused,
    ms: Math.round(result.ms), error: result.error,
    body: result.body.length > 300 ? result.body.slice(0, 300) + '…' : result.body,
    ...(result.relogin ? { relogin: true } : {}),
    ...(result.check !== undefined ? { check: result.check } : {}),
  });
}

/** Switch the balancer's strategy, saying so when it changed. @param {string} strategy */
function useStrategy(strategy) {
  const before = balancer.strategy;
  balancer.setStrategy(strategy);
  if (balancerPort && balancer.strategy !== before) {
    emit({ type: 'process', role: 'balancer', name: 'balancer', state: 'up', port: balancerPort, strategy: balancer.strategy });
  }
}

/** Steady traffic of the learner's users on, replacing any. @param {import('./learner-world.js').TrafficSettings} settings */
function startLearnerTraffic(settings) {
  // Started before the old one stops: settings it refuses (a bad name or rate) leave the running traffic alone.
  const started = startTraffic({ users: settings.users.map(user), rps: settings.rps });
  traffic?.stop();
  traffic = { stop: started.stop, settings };
  emit({ type: 'traffic', on: true });
}

function stopLearnerTraffic() {
  if (!traffic) return;
  traffic.stop();
  traffic = undefined;
  emit({ type: 'traffic', on: false });
}

async function ensureInfrastructure() {
  if (!redis) {
    emit({ type: 'process', role: 'redis', name: 'redis', state: 'starting' });
    redis = await startRedis({
      mode: process.env.LAB_REDIS ?? 'auto',
      url: process.env.REDIS_URL,
      onLog: (stream, line) => emit({ type: 'log', name: 'redis', stream, text: line }),
      onExit: (reason) => emit({ type: 'process', role: 'redis', name: 'redis', state: 'crashed', reason }),
      relay: {
        url: process.env.LAB_REDIS_RELAY_URL || undefined,
        origin: process.env.LAB_REDIS_RELAY_ORIGIN || undefined,
        port: process.env.LAB_REDIS_TUNNEL_PORT ? Number(process.env.LAB_REDIS_TUNNEL_PORT) : undefined,
        emit,
      },
    });
    tap = await startRedisTap({ host: redis.host, port: redis.port });
    const tapped = new URL(redis.url);
    tapped.hostname = '127.0.0.1';
    tapped.port = String(tap.port);
    cluster.configure({ env: { ...instanceEnv, REDIS_URL: tapped.toString() } });
    emit({ type: 'process', role: 'redis', name: 'redis', state: 'up', backend: redis.backend, pid: redis.pid, port: redis.port });
    startRedisSummary();
  }
  if (!balancerPort) {
    balancerPort = await balancer.listen(Number(process.env.LAB_PORT ?? 0) || (portRange() ? await freePort() : 0));
    emit({ type: 'process', role: 'balancer', name: 'balancer', state: 'up', port: balancerPort, strategy: balancer.strategy });
  }
}

async function labRedis() {
  if (!redis) throw new Error('Redis is not running yet; start the lab first');
  redisClient ??= new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1, connectionName: 'lab-supervisor' });
  return redisClient;
}

function startRedisSummary() {
  let last = '';
  const asked = createRedisSummary({
    client: labRedis,
    // Whose sessions: the learner's users, by the session ids their cookies carry.
    owners: () => [...users.values()].map((u) => ({ user: u.name, tokens: sessionTokens(u.jar.values()) })),
  });
  const timer = setInterval(async () => {
    if (!redis || !tap) return;
    const { keys, ...sessions } = await asked.read();
    if (!redis || !tap) return;
    const summary = { type: /** @type {const} */ ('redis'), backend: redis.backend, keys, ...tap.summary(), ...sessions };
    const key = JSON.stringify({ ...summary, type: undefined });
    if (key !== last) {
      last = key;
      emit(summary);
    }
  }, 1000);
  timer.unref();
}

/** @param {import('./commands.js').Command} command */
function applySettings(command) {
  if (command.instances !== undefined) settings.instances = number(command, 'instances');
  if (command.strategy !== undefined) {
    const strategy = command.strategy;
    if (!isStrategy(strategy)) throw new Error(`unknown strategy "${String(strategy)}"; use one of ${STRATEGIES.join(', ')}`);
    settings.strategy = strategy;
  }
  if (command.entry !== undefined) settings.entry = String(command.entry);
  if (command.users && typeof command.users === 'object') Object.assign(settings.routes, command.users);
  cluster.configure({ entry: settings.entry });
}

/** @returns {import('../protocol/lab-events.ts').LabEventInput} */
function snapshot() {
  return {
    type: 'status',
    balancer: { port: balancerPort, strategy: balancer.strategy },
    redis: redis ? { backend: redis.backend, port: redis.port } : null,
    instances: cluster.list().map((i) => i.toJSON()),
    settings,
  };
}

/**
 * Bring the cluster to the lesson's starting shape: fresh processes, starting strategy, empty Redis, no steady
 * traffic. The learner's users lose their cookies: the sessions they pointed at are gone with the processes and
 * Redis's contents, and a user who still held them would look logged out by the app.
 */
async function resetCluster() {
  stopLearnerTraffic();
  await cluster.stopAll();
  // After the stop: an answer still on its way (a login of the traffic) would otherwise bring its cookie back.
  for (const learner of users.values()) learner.forget();
  if (redis?.owned) await (await labRedis()).flushall().catch(() => undefined);
  useStrategy(settings.strategy);
  await cluster.scale(settings.instances);
}

/**
 * Before each check: restart only when the previous check changed the cluster (killed, scaled, deployed…). If
 * the learner's code crashed on its own, a restart would crash the same way, so it is not repeated.
 */
async function restoreCluster() {
  useStrategy(settings.strategy);
  await cluster.stopAll();
  await cluster.scale(settings.instances);
}

/**
 * After the checks: the learner's world as it was before them. A part that cannot be put back is reported as an
 * error; it changes no check's result.
 * @param {import('./learner-world.js').LearnerWorld} world
 */
async function restoreLearnerWorld(world) {
  const problems = await restoreWorld(world, {
    strategy: useStrategy,
    scale: (n) => cluster.scale(n),
    start: (name) => cluster.startInstance(name),
    stop: (name) => cluster.get(name).stop('stopped again after the check, as it was before'),
    stopAll: () => cluster.stopAll(),
    traffic: startLearnerTraffic,
  });
  if (problems.length) {
    emit({
      type: 'error',
      command: 'check',
      message: `The checks are done (their results stand), but the lab could not put back your cluster as it was before them: ${problems.join('; ')}.`,
    });
  }
}

/** @param {import('./commands.js').Command} command  `seed` replays a run; `only` names the checks to run */
async function grade(command) {
  const checks = await loadChecks(checksFile);
  const seed = command.seed === undefined ? Number(process.env.LAB_SEED) || randomSeed() : number(command, 'seed');
  if (!(Number.isInteger(seed) && seed > 0 && seed < 2 ** 32)) throw new Error(`"check" needs a whole-number "seed" from 1 to ${2 ** 32 - 1}`);
  const only = command.only === undefined ? undefined : Array.isArray(command.only) ? command.only.map(String) : [String(command.only)];
  const selected = selectChecks(checks, only);
  const world = rememberWorld({
    instances: cluster.list(),
    strategy: balancer.strategy,
    traffic: traffic?.settings ?? null,
  });
  emit({ type: 'checks-start', names: selected.map(({ check }) => check.name), seed });
  await ensureInfrastructure();
  try {
    const report = await runLessonChecks(checks, seed, only);
    // The report goes out as soon as it is ready; putting the learner's world back takes a few seconds more.
    emit({ type: 'checks', ...report });
    return report;
  } finally {
    await restoreLearnerWorld(world);
  }
}

/**
 * Run the checks from the lesson's own shape, each with a `lab` of its own that labels the traffic it causes.
 * @param {import('./grader.js').CheckDefinition[]} checks @param {number} seed @param {string[] | undefined} only
 */
async function runLessonChecks(checks, seed, only) {
  await resetCluster();
  /** @type {import('./check-api.js').CheckApi | undefined} */
  let previous;
  return runChecks(checks, {
    seed,
    only,
    prepare: async () => {
      if (previous?.changedCluster) await restoreCluster();
    },
    makeApi: async (signal, checkSeedValue, checkName) =>
      (previous = createCheckApi(
        {
          port: () => balancerPort,
          routes: settings.routes,
          instances: () => cluster.list().map((i) => ({ name: i.name, state: i.state, reason: i.reason })),
          kill: (name) => cluster.killInstance(name),
          stop: (name) => cluster.stopInstance(name),
          start: (name) => cluster.startInstance(name),
          restart: (name) => cluster.restartInstance(name),
          scale: (n) => cluster.scale(n),
          deploy: () => cluster.deploy(),
          strategy: useStrategy,
          redis: labRedis,
          onUserResult: reportUser,
          shuffle: (random) => balancer.shuffle(random),
        },
        signal,
        checkSeedValue,
        checkName,
      )),
    onResult: (result) => emit({ type: 'check', ...result }),
  });
}

/** @param {import('./commands.js').Command} command */
async function execute(command) {
  switch (command.type) {
    case 'start':
      applySettings(command);
      await ensureInfrastructure();
      useStrategy(settings.strategy);
      await cluster.scale(settings.instances);
      emit({ type: 'ready', balancerPort, url: `http://127.0.0.1:${balancerPort}`, instances: cluster.list().map((i) => i.toJSON()) });
      return;
    case 'stop':
      stopLearnerTraffic();
      await cluster.stopAll();
      return;
    case 'instance': {
      const name = text(command, 'name');
      const action = text(command, 'action');
      if (action === 'stop') await cluster.stopInstance(name);
      else if (action === 'kill') await cluster.killInstance(name);
      else if (action === 'start') await cluster.startInstance(name);
      else if (action === 'restart') await cluster.restartInstance(name);
      else throw new Error(`unknown instance action "${action}"; use stop, kill, start or restart`);
      return;
    }
    case 'scale':
      await ensureInfrastructure();
      await cluster.scale(number(command, 'instances'));
      return;
    case 'deploy': {
      const outcome = await cluster.deploy();
      if (!outcome.ok) throw new Error(outcome.reason);
      return;
    }
    case 'strategy':
      balancer.setStrategy(text(command, 'strategy'));
      emit({ type: 'process', role: 'balancer', name: 'balancer', state: 'up', port: balancerPort, strategy: balancer.strategy });
      return;
    case 'user': {
      const who = user(text(command, 'user'));
      const action = text(command, 'action');
      if (action === 'login') await who.login();
      else if (action === 'visit') await who.visit();
      else if (action === 'logout') await who.logout();
      else if (action === 'request') await who.request(String(command.method ?? 'GET'), text(command, 'path'), command.body);
      else throw new Error(`unknown user action "${action}"; use login, visit, logout or request`);
      return;
    }
    case 'burst': {
      const who = user(String(command.user ?? 'alice'));
      const count = number(command, 'count', 10);
      if (!Number.isInteger(count) || count < 1 || count > MAX_BURST) throw new Error(`a burst is 1 to ${MAX_BURST} requests`);
      await Promise.all(Array.from({ length: count }, () => who.request(String(command.method ?? 'GET'), text(command, 'path'), command.body)));
      return;
    }
    case 'traffic': {
      if (command.on === false) {
        traffic?.stop();
        traffic = undefined;
        emit({ type: 'traffic', on: false });
        return;
      }
      const names = Array.isArray(command.users) ? command.users.map(String) : DEFAULT_USERS;
      startLearnerTraffic({ users: names, rps: number(command, 'rps', 5) });
      return;
    }
    case 'check':
      await grade(command);
      return;
    case 'status':
      emit(snapshot());
      return;
    case 'shutdown':
      await shutdown(0);
      return;
  }
}

/** @param {number} code */
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  traffic?.stop();
  const force = setTimeout(() => {
    killEverythingNow();
    process.exit(code);
  }, 4000);
  try {
    await cluster.stopAll();
    await balancer.close();
    redisClient?.disconnect();
    await tap?.close();
    await redis?.stop();
  } finally {
    clearTimeout(force);
    emit({ type: 'exit', code });
    process.exit(code);
  }
}

function killEverythingNow() {
  cluster.killAllNow();
  redis?.killNow();
}

process.on('exit', () => {
  flushEvents();
  killEverythingNow();
});
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('uncaughtException', (error) => emit({ type: 'error', message: `supervisor: ${error.stack ?? error.message}` }));
process.on('unhandledRejection', (error) => emit({ type: 'error', message: `supervisor: ${String(error)}` }));

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
/** Commands run one at a time, in order, so a deploy and a scale never interleave. */
let queue = Promise.resolve();
input.on('line', (line) => {
  if (line.trim() === '') return;
  const parsed = parseCommand(line);
  if (!parsed.ok) {
    emit({ type: 'error', message: parsed.error });
    return;
  }
  const { command } = parsed;
  // Bytes for a tunnelled Redis connection (hosted Redis over the page): no queue, no reply.
  if (command.type === 'tunnel') return redis?.tunnel?.(command);
  const immediate = command.type === 'user' || command.type === 'burst' || command.type === 'status';
  const run = async () => {
    try {
      await execute(command);
      if (command.id !== undefined) emit({ type: 'reply', id: command.id, ok: true });
    } catch (error) {
      const message = /** @type {Error} */ (error).message;
      emit({ type: 'error', message, command: command.type });
      if (command.id !== undefined) emit({ type: 'reply', id: command.id, ok: false, error: message });
    }
  };
  // User actions must not wait behind a long check or deploy: they are how a learner watches one happen.
  if (immediate) void run();
  else queue = queue.then(run);
});
input.on('close', () => void shutdown(0));

emit({ type: 'hello', labId, pid: process.pid, appDir, node: process.version });
