/**
 * The cluster view: users → balancer → instances → Redis, composed from small parts (controls, balancer,
 * instance cards with who-knows-whom, Redis with its session keys, travelling dots, the request chart).
 *
 * Only the learner's own traffic is drawn: requests and user results of graded checks carry a `check` field and
 * stay out of the picture. The store updates on every request, so rendering is coalesced into one animation
 * frame; ages, decaying counts and TTLs move once a second.
 */
import css from './cluster.css?inline';
import type { ClusterViewOptions, Disposable, MountClusterView } from '../../components.ts';
import type { LabState, LabStore } from '../../session/lab-store.ts';
import { addStyles, el } from '../../dom.ts';
import { addPanelStyles } from '../panel-ui.ts';
import { balancerBox } from './balancer-box.ts';
import { clusterControls } from './cluster-controls.ts';
import { InstanceKnowledge } from './instance-knowledge.ts';
import { instanceList } from './instance-list.ts';
import { LogoutCounter } from './logout-counter.ts';
import { redisBox } from './redis-box.ts';
import { requestChart } from './request-chart-view.ts';
import { trafficLayer } from './traffic-layer.ts';
import { userLegend } from './user-legend.ts';

export const mountClusterView: MountClusterView = (element: HTMLElement, store: LabStore, options: ClusterViewOptions): Disposable => {
  addPanelStyles();
  addStyles('cluster', css);
  const cleanups: (() => void)[] = [];
  const knowledge = new InstanceKnowledge();
  const logouts = new LogoutCounter();

  const controls = clusterControls(options, () => store.state, schedule);
  const legend = userLegend();
  const balancer = balancerBox(options.lab.strategy);
  const idle = el('p', { class: 'pg-cv-idle' }, 'No instances running. Press Run to start the cluster.');
  const instances = instanceList({
    withActions: options.lab.controls.includes('instances'),
    send: options.send,
    knowledge,
    logouts,
    changed: schedule,
    fallbackFocus: () => controls.focusTarget() ?? root,
  });
  const redis = redisBox();
  const diagram = el('div', { class: 'pg-cv-diagram' }, el('div', { class: 'pg-cv-top' }, legend.root, balancer.root), idle, instances.root, redis.root);
  const traffic = trafficLayer({
    diagram,
    legend: legend.root,
    chip: legend.chip,
    balancer: balancer.root,
    redis: redis.root,
    instanceList: instances.root,
    card: (name) => instances.cards().get(name)?.root,
    cards: () => [...instances.cards().values()].map((c) => c.root),
  });
  diagram.prepend(traffic.links);
  diagram.append(traffic.dots);
  const chart = requestChart();
  // Focusable from script only: the last place focus can go when the control it was on disappears.
  const root = el('div', { class: 'pg-cv', tabindex: '-1' }, controls.root, diagram, chart.root);
  // On a phone the chart starts folded, so the instances and the users fit one screen.
  chart.root.open = !window.matchMedia('(max-width: 40rem)').matches;
  element.append(root);

  // ---- rendering ----
  let frame = 0;
  function schedule(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      render(store.state);
    });
  }

  function render(state: LabState): void {
    const now = Date.now();
    balancer.update(state.balancer);
    instances.update(state.instances, now);
    idle.hidden = state.instances.length > 0;
    instances.root.hidden = state.instances.length === 0;
    controls.update(state);
    redis.update(state.redis, now);
    traffic.relink(state.instances.map((i) => i.name));
  }

  function tick(): void {
    const now = Date.now();
    chart.render(store.state.instances.map((i) => i.name), now);
    const { seen, drawn } = traffic.rate();
    chart.note(seen, drawn);
    instances.tick(now);
    redis.tick(now);
  }

  // ---- what the instances said ----
  let phase = store.state.phase.name;
  let checking = store.state.checks.running;
  function forgetEverything(): void {
    knowledge.reset();
    logouts.reset();
  }
  cleanups.push(
    store.subscribe((state) => {
      // A new lab has new users with empty cookie jars; a check run starts by clearing the learner's users.
      if (state.phase.name !== phase && state.phase.name === 'connecting') {
        forgetEverything();
        chart.clear();
      }
      if (state.checks.running && !checking) forgetEverything();
      phase = state.phase.name;
      checking = state.checks.running;
      // Here, not in the frame: a restart's stopped → starting must not be coalesced away.
      knowledge.observe(state.instances);
      schedule();
    }),
  );
  cleanups.push(
    store.onUserResult((result) => {
      if (result.check !== undefined) return;
      const now = Date.now();
      const known = knowledge.record(result, now);
      const counted = logouts.record(result, now);
      if (known || counted) schedule();
    }),
  );

  // ---- requests ----
  let chartSoon = 0;
  cleanups.push(
    store.onRequest((request) => {
      if (request.check !== undefined) return;
      chart.add(request, Date.now());
      // The chart slides once a second; a request also redraws it soon, so a click shows up at once.
      chartSoon ||= window.setTimeout(() => {
        chartSoon = 0;
        chart.render(store.state.instances.map((i) => i.name), Date.now());
      }, 200);
      traffic.show(request);
    }),
  );

  const timer = window.setInterval(tick, 1000);
  tick();
  const resize = new ResizeObserver(() => schedule());
  resize.observe(diagram);

  return {
    dispose() {
      for (const cleanup of cleanups) cleanup();
      clearInterval(timer);
      clearTimeout(chartSoon);
      cancelAnimationFrame(frame);
      resize.disconnect();
      traffic.dispose();
      root.remove();
    },
  };
};
