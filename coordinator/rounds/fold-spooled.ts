// Folding spooled updates into a linear strategy's accumulator, one update in memory at a time, with
// the server-side bounds that hold whoever sent an update: `clients.maxUpdateNorm` scales a delta
// that is too large down to the bound, and differential privacy clips every delta and weighs each site
// the same. Shared by synchronous rounds (aggregate.ts) and async versions (async-commit.ts).
import type { DifferentialPrivacy } from '../privacy/differential-privacy.js';
import { readSpool } from '../store/spool.js';
import type { FitAccumulator } from '../strategies/strategy.js';

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
  /** Differential privacy: clipping and equal weights. */
  dp?: DifferentialPrivacy | undefined;
}

/** The L2 norm of a spooled update, read in slices. */
export function spooledNorm(file: string): number {
  let s = 0;
  for (const { slice } of readSpool(file)) for (let i = 0; i < slice.length; i++) s += slice[i]! * slice[i]!;
  return Math.sqrt(s);
}

/**
 * Folds each update with weight (examples, or its DP clip factor) x factor x its norm-bound scale,
 * and adds its examples (or 1 under DP) to the total. Returns the updates that were scaled down, as
 * "site (norm N)".
 */
export function foldSpooled(acc: FitAccumulator, updates: readonly SpooledUpdate[], bounds: FoldBounds): string[] {
  const { maxUpdateNorm: bound, dp } = bounds;
  const bounded: string[] = [];
  for (const u of updates) {
    const norm = dp || bound !== undefined ? spooledNorm(u.spoolFile) : 0;
    const scale = bound !== undefined && norm > bound ? bound / norm : 1;
    if (scale < 1) bounded.push(`${u.site} (norm ${norm.toPrecision(3)})`);
    const weight = (dp ? dp.clipFactor(norm) : u.examples) * (u.factor ?? 1) * scale;
    for (const { slice, offset } of readSpool(u.spoolFile)) acc.fold(slice, offset, weight);
    acc.addWeight(dp ? 1 : u.examples);
  }
  return bounded;
}
