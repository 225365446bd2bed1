// Checks for "Any server, any request". They talk to the cluster only through the balancer and the supervisor.

export default [
  {
    name: 'Every instance starts and answers on the port it is given',
    async run(lab) {
      await lab.waitForAllUp(6000);
    },
  },
  {
    name: 'The balancer spreads requests over all three instances',
    async run(lab) {
      const seen = new Map();
      for (let i = 0; i < 12; i++) {
        const res = await lab.request('GET', '/');
        if (res.status === 200 && res.instance) seen.set(res.instance, (seen.get(res.instance) ?? 0) + 1);
      }
      const counts = [...seen].map(([name, n]) => `${name}×${n}`).join(', ') || 'none';
      lab.assert(seen.size === 3, `Expected 12 requests to be answered by A, B and C; observed answers from ${counts}.`);
    },
  },
  {
    name: 'Each instance says which instance it is',
    async run(lab) {
      for (let i = 0; i < 6; i++) {
        const res = await lab.request('GET', '/');
        lab.assert(res.status === 200, `Expected GET / to answer 200; observed ${res.status}: ${res.body.trim().slice(0, 160)}`);
        const said = res.json && typeof res.json === 'object' ? res.json.instance : undefined;
        lab.assert(
          said === res.instance,
          `Expected instance ${res.instance} to answer {"instance": "${res.instance}"}; observed ${JSON.stringify(said)}. Read INSTANCE_ID from process.env.`,
        );
      }
    },
  },
  {
    name: 'Scaling out to five instances just works',
    async run(lab) {
      await lab.scale(5);
      await lab.waitForAllUp();
      const seen = new Set();
      for (let i = 0; i < 20; i++) {
        const res = await lab.request('GET', '/');
        if (res.status === 200 && res.instance) seen.add(res.instance);
      }
      lab.assert(seen.size === 5, `Expected 5 instances to serve after scaling out; observed ${[...seen].join(', ') || 'none'}.`);
    },
  },
];
