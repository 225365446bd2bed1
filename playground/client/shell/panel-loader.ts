/**
 * Loads the panels in parallel, each from its own chunk; a panel that fails to load says so in its region and the
 * others carry on. Resolves once every panel has loaded or said why not.
 */
import type { Disposable } from '../components.ts';
import { el } from '../dom.ts';
import type { RegionName } from './layout.ts';

export type PanelMounts = Record<RegionName, () => Promise<Disposable>>;

export async function loadPanels(slots: Record<RegionName, HTMLElement>, mounts: PanelMounts, keep: (panel: Disposable) => void): Promise<void> {
  await Promise.allSettled(
    (Object.keys(mounts) as RegionName[]).map(async (region) => {
      try {
        keep(await mounts[region]());
      } catch (error) {
        slots[region].replaceChildren(el('p', { class: 'pg-error' }, `This panel did not load: ${(error as Error).message}`));
      }
    }),
  );
}
