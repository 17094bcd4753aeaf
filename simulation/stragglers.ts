// Simulated stragglers: a share of the sites, drawn from the experiment's seed, that take `slowdown`
// times as long per task as the others (they wait after training, worker/train-task.ts).
import { rng, sample, seedOf } from '../shared/random.js';

export interface Stragglers {
  sites: string[];
  slowdown: number;
}

/** round(fraction x sites) sites (at least one when fraction > 0), never picked by hand. */
export function chooseStragglers(sites: readonly string[], fraction: number, seed: number): string[] {
  const count = fraction > 0 ? Math.max(1, Math.round(fraction * sites.length)) : 0;
  return sample(sites, Math.min(count, sites.length), rng(seedOf(seed, 'stragglers'))).sort();
}

/** The slowdown of a site, if it is a straggler. */
export function slowdownOf(stragglers: Stragglers | undefined, site: string): number | undefined {
  return stragglers?.sites.includes(site) ? stragglers.slowdown : undefined;
}
