/**
 * What travels across the diagram: the links (users → balancer → instances → Redis) and a dot per sampled
 * request, coloured AND shaped by user, that turns into a cross where it failed. With reduced motion, a brief
 * highlight of whoever answered replaces the trip.
 */
import type { RequestView } from '../../session/lab-store.ts';
import { el } from '../../dom.ts';
import { USERS, userLook } from '../users/user-status.ts';
import { DotSampler } from './cluster-dots.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface TrafficNodes {
  diagram: HTMLElement;
  legend: HTMLElement;
  chip(user: string): HTMLElement | undefined;
  balancer: HTMLElement;
  redis: HTMLElement;
  instanceList: HTMLElement;
  /** The card of instance `name`, when it is shown. */
  card(name: string): HTMLElement | undefined;
  cards(): HTMLElement[];
}

export interface TrafficLayer {
  links: SVGSVGElement;
  dots: HTMLElement;
  /** Redraws the links when the instances or the diagram's size changed. */
  relink(names: readonly string[]): void;
  show(request: RequestView): void;
  /** Requests seen and dots drawn since the previous call. */
  rate(): { seen: number; drawn: number };
  dispose(): void;
}

type Point = { x: number; y: number };

export function trafficLayer(nodes: TrafficNodes): TrafficLayer {
  const { diagram, balancer } = nodes;
  const links = document.createElementNS(SVG_NS, 'svg');
  links.setAttribute('class', 'pg-cv-links');
  links.setAttribute('aria-hidden', 'true');
  links.setAttribute('focusable', 'false');
  const dots = el('div', { class: 'pg-cv-dots', 'aria-hidden': 'true' });
  const sampler = new DotSampler();
  const reduced = matchMedia('(prefers-reduced-motion: reduce)');
  const timers = new Set<number>();
  const flashTimers = new Map<Element, number>();
  let linksKey = '';

  const later = (ms: number, run: () => void) => {
    const id = window.setTimeout(() => {
      timers.delete(id);
      run();
    }, ms);
    timers.add(id);
  };

  function centre(node: Element, where: 'top' | 'bottom' | 'middle' | 'right' | 'left'): Point {
    const box = diagram.getBoundingClientRect();
    const r = node.getBoundingClientRect();
    const x = where === 'right' ? r.right : where === 'left' ? r.left : r.left + r.width / 2;
    const y = where === 'top' ? r.top : where === 'bottom' ? r.bottom : r.top + r.height / 2;
    return { x: x - box.left, y: y - box.top };
  }

  function drawLinks(): void {
    const w = diagram.clientWidth;
    const h = diagram.clientHeight;
    links.setAttribute('viewBox', `0 0 ${w} ${h}`);
    links.setAttribute('width', String(w));
    links.setAttribute('height', String(h));
    links.replaceChildren();
    const line = (a: Point, b: Point, cls: string) => {
      const l = document.createElementNS(SVG_NS, 'line');
      l.setAttribute('x1', String(a.x));
      l.setAttribute('y1', String(a.y));
      l.setAttribute('x2', String(b.x));
      l.setAttribute('y2', String(b.y));
      l.setAttribute('class', cls);
      links.append(l);
    };
    // Users and balancer share a row when there is room, and stack on narrow panels.
    const legend = nodes.legend.getBoundingClientRect();
    const sideBySide = legend.right <= balancer.getBoundingClientRect().left;
    if (sideBySide) line(centre(nodes.legend, 'right'), centre(balancer, 'left'), 'pg-link');
    else line(centre(nodes.legend, 'bottom'), centre(balancer, 'top'), 'pg-link');
    const from = centre(balancer, 'bottom');
    const redisTop = centre(nodes.redis, 'top');
    const shown = nodes.cards().filter((card) => card.isConnected && !nodes.instanceList.hidden);
    if (shown.length === 0) {
      line(from, redisTop, 'pg-link pg-link-redis');
      return;
    }
    const tops = new Set(shown.map((card) => Math.round(card.getBoundingClientRect().top)));
    if (tops.size === 1) {
      for (const card of shown) {
        line(from, centre(card, 'top'), 'pg-link');
        line(centre(card, 'bottom'), redisTop, 'pg-link pg-link-redis');
      }
    } else {
      // Wrapped rows: links would cross other cards, so one link into the group and one out of it.
      line(from, centre(nodes.instanceList, 'top'), 'pg-link');
      line(centre(nodes.instanceList, 'bottom'), redisTop, 'pg-link pg-link-redis');
    }
  }

  function flash(node: Element, cls: string): void {
    node.classList.add(cls);
    clearTimeout(flashTimers.get(node));
    flashTimers.set(node, window.setTimeout(() => node.classList.remove(cls), 350));
  }

  function turnIntoCross(dot: HTMLElement): void {
    if (!dot.isConnected) return;
    dot.className = 'pg-dot pg-dot-fail';
    dot.textContent = '✕';
  }

  function launch(request: RequestView, target: HTMLElement | undefined, failed: boolean): void {
    const look = userLook(request.user);
    const chip = nodes.chip(look.id);
    const start = chip ? centre(chip, 'bottom') : centre(nodes.legend, 'bottom');
    const mid = centre(balancer, 'middle');
    const dot = el('span', { class: `pg-dot pg-shape pg-shape-${look.shape}`, style: `--user: var(${look.colorVar})` });
    dots.append(dot);
    const at = (p: Point) => `translate(${p.x.toFixed(1)}px, ${p.y.toFixed(1)}px) translate(-50%, -50%)`;
    const frames: Keyframe[] = [{ transform: at(start), opacity: 1 }];
    let duration = failed && target ? 1100 : 900;
    if (target) {
      const end = centre(target, 'top');
      end.x += (Math.random() - 0.5) * 18;
      end.y += 10;
      const arrive = failed ? 0.75 : 0.95;
      frames.push({ transform: at(mid), offset: 0.4 }, { transform: at(end), opacity: 1, offset: arrive }, { transform: at(end), opacity: failed ? 1 : 0, offset: failed ? 0.9 : 1 });
      if (failed) {
        frames.push({ transform: at(end), opacity: 0 });
        // Reached an instance that refused it (401, 500…): the dot turns into a cross there.
        later(duration * 0.8, () => turnIntoCross(dot));
      }
    } else {
      // Failed at the balancer: the dot stops there and turns into a cross.
      duration = 1100;
      frames.push({ transform: at(mid), offset: 0.4, opacity: 1 }, { transform: at(mid), opacity: 0 });
      later(duration * 0.4, () => turnIntoCross(dot));
    }
    const animation = dot.animate(frames, { duration, easing: 'ease-in-out', fill: 'forwards' });
    const done = () => {
      dot.remove();
      sampler.release();
    };
    animation.onfinish = done;
    animation.oncancel = done;
  }

  return {
    links,
    dots,
    relink(names) {
      const key = `${names.join(',')}|${diagram.clientWidth}x${diagram.clientHeight}`;
      if (key === linksKey) return;
      linksKey = key;
      drawLinks();
    },
    show(request) {
      const now = Date.now();
      const failed = !request.instance || request.status === 0 || request.status >= 400;
      const target = request.instance ? nodes.card(request.instance) : undefined;
      if (document.hidden) return;
      const named = USERS.some((u) => u.id === request.user);
      if (!sampler.admit(now, failed || named)) return;
      if (reduced.matches) {
        flash(target ?? balancer, failed ? 'pg-hit-fail' : 'pg-hit');
        later(350, () => sampler.release());
        return;
      }
      launch(request, target, failed);
    },
    rate: () => sampler.rate(),
    dispose() {
      for (const id of timers) clearTimeout(id);
      for (const id of flashTimers.values()) clearTimeout(id);
      for (const dot of dots.getAnimations({ subtree: true })) dot.cancel();
    },
  };
}
