// Checks for "Any server, any request". They talk to the cluster only through the balancer and the supervisor.
// Requests that must reach one particular instance are pinned to it with `via`, so the balancer's rotation can
// neither hide an instance nor favour one.

/** @typedef {import('../../../playground/lab/check-api.js').LabResponse} LabResponse */

/** What the answer says about the instance: `instance` from a JSON body, whatever its content-type says. */
function said(response) {
  let json = response.json;
  if (json === undefined) {
    try {
      json = JSON.parse(response.body);
    } catch {
      json = undefined;
    }
  }
  return json && typeof json === 'object' && !Array.isArray(json) ? json.instance : undefined;
}


/** GET / pinned to every up instance; each must answer 2xx saying its own INSTANCE_ID. */
async function everyInstanceNamesItself(lab, context) {
  const up = lab.upInstances();
  for (const name of up) {
    const res = await lab.request('GET', '/', { via: name });
    lab.assert(res.status >= 200 && res.status < 300, `${context}Expected GET / on instance ${name} to answer 200; observed ${lab.describe(res)}.`, res);
    const claim = said(res);
    lab.assert(
      claim === name,
      `${context}Expected instance ${name} (started with INSTANCE_ID=${name}) to answer {"instance": "${name}"}; observed ${JSON.stringify(claim) ?? 'no "instance" field'}` +
        `${typeof claim === 'string' && up.includes(claim) ? `, the name of another instance` : ''}. Read the name from process.env.INSTANCE_ID each time the process starts.`,
      res,
    );
  }
  return up;
}

/**
 * Wait until every instance is up. When one is not, the failure carries a request pinned to it, so the rerun line
 * shows what a client of that instance gets.
 */
async function allUp(lab, timeoutMs) {
  try {
    await lab.waitForAllUp(timeoutMs);
  } catch (error) {
    const down = lab.instances().find((i) => i.state !== 'up');
    const evidence = down ? await lab.request('GET', '/', { via: down.name }) : undefined;
    lab.fail(`${/** @type {Error} */ (error).message} Each instance must listen on the port in process.env.PORT, and on no other fixed port.`, evidence);
  }
}

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'Every instance starts and answers on the port it is given',
    async run(lab) {
      await allUp(lab, 6000);
      // A second listener on a fixed port, or a port chosen at random, can let one instance start and then kill
      // the next: give them a moment, then ask each one on the port the lab gave it.
      await lab.sleep(300);
      await allUp(lab, 1000);
      for (const name of lab.upInstances()) {
        const res = await lab.request('GET', '/', { via: name });
        lab.assert(res.status >= 200 && res.status < 300, `Expected instance ${name} to answer GET / on the port it was given (process.env.PORT); observed ${lab.describe(res)}.`, res);
      }
      lab.assert(lab.upInstances().length === 3, `Expected 3 instances up; observed ${lab.instances().map((i) => `${i.name} ${i.state}`).join(', ')}.`);
    },
  },
  {
    name: 'The balancer spreads requests over all three instances',
    async run(lab) {
      const seen = new Map();
      let last;
      for (let i = 0; i < 12; i++) {
        const res = (last = await lab.request('GET', '/'));
        if (res.status === 200 && res.instance) seen.set(res.instance, (seen.get(res.instance) ?? 0) + 1);
      }
      const counts = [...seen].map(([name, n]) => `${name}×${n}`).join(', ') || 'none';
      lab.assert(seen.size === 3, `Expected 12 requests to be answered 200 by A, B and C; observed answers from ${counts} (the last one: ${lab.describe(/** @type {LabResponse} */ (last))}).`, last);
    },
  },
  {
    name: 'Each instance says which instance it is',
    async run(lab) {
      await allUp(lab, 8000);
      // Twice round, in case a name is only right the first time.
      for (let round = 0; round < 2; round++) await everyInstanceNamesItself(lab, '');
      // And through the balancer's own rotation: the header it adds must agree with what the body says.
      for (let i = 0; i < 6; i++) {
        const res = await lab.request('GET', '/');
        lab.assert(
          said(res) === res.instance,
          `Expected the answer of instance ${res.instance} to say {"instance": "${res.instance}"}; observed ${JSON.stringify(said(res)) ?? 'no "instance" field'}.`,
          res,
        );
      }
    },
  },
  {
    name: 'Scaling out to five instances just works',
    async run(lab) {
      await lab.scale(5);
      await allUp(lab, 8000);
      const up = await everyInstanceNamesItself(lab, 'After scaling from 3 to 5 instances: ');
      lab.assert(up.length === 5, `Expected 5 instances up after scaling out; observed ${lab.instances().map((i) => `${i.name} ${i.state}`).join(', ')}.`);
      const seen = new Set();
      let last;
      for (let i = 0; i < 20; i++) {
        const res = (last = await lab.request('GET', '/'));
        if (res.status === 200 && res.instance) seen.add(res.instance);
      }
      lab.assert(seen.size === 5, `Expected 20 requests to reach all 5 instances after scaling out; observed ${[...seen].join(', ') || 'none'}.`, last);
    },
  },
];
