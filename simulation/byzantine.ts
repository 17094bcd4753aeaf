// Simulated Byzantine sites: which sites attack, and how the run is scored when some do.
import { rng, sample, seedOf } from '../shared/random.js';

/** The sites that attack in a run, and what they send. */
export interface ByzantineSites {
  sites: string[];
  attack: string;
}

/** The attack a site runs, if it is one of the Byzantine sites. */
export function attackOf(byzantine: ByzantineSites | undefined, site: string): string | undefined {
  return byzantine?.sites.includes(site) ? byzantine.attack : undefined;
}

/** The attacking sites, drawn from the experiment's seed (never picked by hand). */
export function chooseByzantine(sites: readonly string[], count: number, seed: number): string[] {
  return sample(sites, count, rng(seedOf(seed, 'byzantine')));
}

/**
 * Figures scored on the honest sites (the run's final figures, or a baseline's). Robust aggregation
 * serves the honest sites' objective (Karimireddy, He & Jaggi 2022 define it as the mean over the good
 * workers); an attacker's own test split is not what the federation is for, and a real attacker would
 * lie about it anyway. The mean over every site, the attacker's included, stays as allSitesMeanSiteAccuracy.
 */
export function scoreHonestSites<T extends { siteAccuracy: Record<string, number>; meanSiteAccuracy: number }>(
  scored: T,
  byzantine: readonly string[],
): T & { allSitesMeanSiteAccuracy: number; honestSites: string[] } {
  const honestSites = Object.keys(scored.siteAccuracy)
    .filter((s) => !byzantine.includes(s))
    .sort();
  const scores = honestSites.map((s) => scored.siteAccuracy[s]!).filter(Number.isFinite);
  return {
    ...scored,
    meanSiteAccuracy: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : NaN,
    allSitesMeanSiteAccuracy: scored.meanSiteAccuracy,
    honestSites,
  };
}
