// Checks for "__TITLE__": every instance must count every visit, whichever instance served it. Each visit is
// pinned to an instance with `via`, so the outcome never depends on where the balancer's rotation starts.

/** The total an answer gives, or undefined when it gives none. */
const totalIn = (/** @type {{ json: unknown }} */ response) => {
  const { json } = response;
  const visits = json && typeof json === 'object' && 'visits' in json ? json.visits : undefined;
  return typeof visits === 'number' ? visits : undefined;
};

/** @type {import('../../../playground/lab/check-api.js').LessonChecks} */
export default [
  {
    name: 'Every instance gives the same total of visits',
    async run(lab) {
      const instances = lab.upInstances();
      lab.assert(instances.length >= 2, `Expected at least two instances up to compare; observed ${instances.join(', ') || 'none'}.`);
      const rounds = 2;
      for (let round = 0; round < rounds; round++) {
        for (const via of instances) {
          const counted = await lab.request('POST', '/visits', { via });
          lab.assert(counted.status === 200, `Expected POST /visits on ${via} to answer 200; observed ${lab.describe(counted)}.`, counted);
        }
      }
      const expected = rounds * instances.length;
      for (const via of instances) {
        const answer = await lab.request('GET', '/visits', { via });
        const total = totalIn(answer);
        lab.assert(
          total === expected,
          `${expected} visits were counted, ${rounds} on each of ${instances.join(', ')}. Expected GET /visits on ${via} to answer ` +
            `{"visits": ${expected}}; observed ${total === undefined ? lab.describe(answer) : `{"visits": ${total}}`}.`,
          answer,
        );
      }
    },
  },
];
