// Folding spooled updates into a linear strategy's accumulator, one update in memory at a time, with
// the server-side bounds that hold whoever sent an update: an update whose norm is above
// clients.normBoundMultiple x the round's median norm (or above clients.maxUpdateNorm) is scaled down
// to the bound, no site's weight is above clients.maxWeightShare of the round's, and differential
// privacy clips every delta and weighs each site the same. Shared by synchronous rounds (aggregate.ts)
// and async versions (async-commit.ts).
import type { ExperimentConfig } from '../../shared/config/schema.js';
import type { BoundedEntry } from '../experiments/records.js';
import type { DifferentialPrivacy } from '../privacy/differential-privacy.js';
import { readSpool } from '../store/spool.js';
import type { FitAccumulator } from '../strategies/strategy.js';
import { capWeights, effectiveShare, normScale, roundNormBound } from '../strategies/update-bounds.js';

export interface SpooledUpdate {
  site: string;
  spoolFile: string;
  examples: number;
  /** A further factor on the update's weight, not on the total (async mode's staleness). Default 1. */
  factor?: number;
}

export interface FoldBounds {
  /** clients.maxUpdateNorm: the largest L2 norm an update is folded at. */
  maxUpdateNorm?: number | undefined;
  /** clients.normBoundMultiple: an update is folded at most at this multiple of the round's median norm (0: off). */
  normBoundMultiple?: number | undefined;
  /** clients.maxWeightShare: the largest share of the round's weight one site may have (1: off). */
  maxWeightShare?: number | undefined;
  /** Differential privacy: clipping and equal weights. */
  dp?: DifferentialPrivacy | undefined;
}

/** The bounds an experiment's config sets for its plaintext rounds. */
export function foldBounds(cfg: ExperimentConfig, dp?: DifferentialPrivacy): FoldBounds {
  return {
    maxUpdateNorm: cfg.clients.maxUpdateNorm,
    normBoundMultiple: cfg.clients.normBoundMultiple,
    maxWeightShare: cfg.clients.maxWeightShare,
    dp,
  };
}

/** The L2 norm of a spooled update, read in slices. */
export function spooledNorm(file: string): number {
  let s = 0;
  for (const { slice } of readSpool(file)) for (let i = 0; i < slice.length; i++) s += slice[i]! * slice[i]!;
  return Math.sqrt(s);
}

/**
 * Folds each update with weight (its capped examples, or its DP clip factor) x factor x its norm-bound
 * scale, and adds its capped examples (or 1 under DP) to the total. Two passes over the spool, one
 * update in memory at a time: the first reads every update's norm (the round's bound needs the median
 * of them all), the second folds. Returns what was bounded: each update scaled down and each site's
 * weight capped.
 *
 * Under differential privacy the relative bound and the weight cap are off: each delta is clipped to
 * dp.clip and every site weighs the same, and a bound derived from the other sites' updates would make
 * one site's contribution depend on the others', so the sensitivity would no longer be the clip.
 */
export function foldSpooled(
  acc: FitAccumulator,
  updates: readonly SpooledUpdate[],
  bounds: FoldBounds,
): BoundedEntry[] {
  const { maxUpdateNorm, dp } = bounds;
  const multiple = dp ? 0 : (bounds.normBoundMultiple ?? 0);
  const needNorms = Boolean(dp) || multiple > 0 || maxUpdateNorm !== undefined;
  const norms = updates.map((u) => (needNorms ? spooledNorm(u.spoolFile) : 0));
  const normBound = roundNormBound(norms, { multiple, maxUpdateNorm });

  // A site's weight is its examples over all its updates (async mode may fold two of one site).
  const siteExamples = new Map<string, number>();
  for (const u of updates) siteExamples.set(u.site, (siteExamples.get(u.site) ?? 0) + u.examples);
  const sites = [...siteExamples.keys()];
  const siteFactor = new Map<string, number>();
  const bounded: BoundedEntry[] = [];
  const maxShare = bounds.maxWeightShare ?? 1;
  if (!dp && maxShare < 1) {
    const examples = sites.map((s) => siteExamples.get(s)!);
    const capped = capWeights(examples, maxShare).weights;
    const share = effectiveShare(maxShare, sites.length);
    sites.forEach((site, i) => {
      const from = examples[i]!;
      const to = capped[i]!;
      if (to < from) {
        siteFactor.set(site, to / from);
        bounded.push({ what: 'weight', site, examples: from, weight: to, share });
      }
    });
  }

  updates.forEach((u, i) => {
    const norm = norms[i]!;
    const scale = normScale(norm, normBound?.bound);
    if (scale < 1 && normBound)
      bounded.push({
        what: 'update',
        site: u.site,
        norm,
        bound: normBound.bound,
        rule: normBound.rule,
        ...(normBound.median !== undefined ? { median: normBound.median, multiple } : {}),
      });
    const examples = u.examples * (siteFactor.get(u.site) ?? 1);
    const weight = (dp ? dp.clipFactor(norm) : examples) * (u.factor ?? 1) * scale;
    for (const { slice, offset } of readSpool(u.spoolFile)) acc.fold(slice, offset, weight);
    acc.addWeight(dp ? 1 : examples);
  });
  return bounded;
}
