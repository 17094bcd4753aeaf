// How much one site can move a plaintext round, whatever it sends (pure functions, no I/O): its update's
// L2 norm is bounded by a multiple of the round's median norm (and by clients.maxUpdateNorm), and its
// share of the round's weight is capped by water-filling (clients.maxWeightShare).

/**
 * The lower median: the ceil(n/2)-th smallest value. With an even count it is the smaller of the two
 * middle values, so a site cannot raise it unless at least half the values are its own (with two sites,
 * the smaller norm is the median). NaN for no values.
 */
export function lowerMedian(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

/** The largest L2 norm an update of the round is folded at, and which rule set it. */
export interface RoundNormBound {
  bound: number;
  /** normBoundMultiple: `multiple` x the round's median norm; maxUpdateNorm: the absolute bound. */
  rule: 'normBoundMultiple' | 'maxUpdateNorm';
  /** The round's (lower) median norm, when the relative bound is on and defined. */
  median?: number;
}

/**
 * The round's norm bound: the smaller of `multiple` x the lower median of the received updates' norms
 * (off when multiple is 0, or when that median is 0 or not finite: no scale to derive it from) and the
 * absolute `maxUpdateNorm`. Undefined when neither applies.
 */
export function roundNormBound(
  norms: readonly number[],
  opts: { multiple?: number | undefined; maxUpdateNorm?: number | undefined },
): RoundNormBound | undefined {
  const multiple = opts.multiple ?? 0;
  const median = multiple > 0 ? lowerMedian(norms) : NaN;
  const relative =
    multiple > 0 && Number.isFinite(median) && median > 0
      ? { bound: multiple * median, rule: 'normBoundMultiple' as const, median }
      : undefined;
  const absolute =
    opts.maxUpdateNorm !== undefined ? { bound: opts.maxUpdateNorm, rule: 'maxUpdateNorm' as const } : undefined;
  if (relative && absolute) return absolute.bound < relative.bound ? { ...absolute, median } : relative;
  return relative ?? absolute;
}

/** The factor an update of this norm is scaled by: 1, or bound / norm when it is over the bound. */
export function normScale(norm: number, bound: number | undefined): number {
  return bound !== undefined && norm > bound ? bound / norm : 1;
}

/** The share of the round's weight any one site may have: maxShare, or 1/n when fewer than 1/maxShare sites. */
export function effectiveShare(maxShare: number, sites: number): number {
  return sites > 0 ? Math.min(1, Math.max(maxShare, 1 / sites)) : 1;
}

/**
 * Caps weights by water-filling so that none is more than `maxShare` of their total: every weight
 * above a level c becomes c, the others stay, and c is the level at which the largest capped weight is
 * exactly maxShare of the new total, c = maxShare x (k c + rest) for the k capped weights. With fewer
 * than 1/maxShare weights the share is 1/n (equal weights at most). Weights already within the share,
 * an empty list and a zero total are returned as they are. Returns the new weights and the level c
 * (undefined when nothing was capped).
 */
export function capWeights(weights: readonly number[], maxShare: number): { weights: number[]; cap?: number } {
  const n = weights.length;
  const share = effectiveShare(maxShare, n);
  const total = weights.reduce((a, w) => a + w, 0);
  if (!n || share >= 1 || !(total > 0)) return { weights: [...weights] };
  const sorted = [...weights].sort((a, b) => b - a);
  let rest = total;
  for (let k = 0; k < n; k++) {
    // The k largest capped at c, the rest as they are: c = share x rest / (1 - share x k). The level
    // holds when the (k+1)-th largest is already at or under it.
    const c = (share * rest) / (1 - share * k);
    if (sorted[k]! <= c * (1 + 1e-12)) {
      if (k === 0) return { weights: [...weights] };
      return { weights: weights.map((w) => Math.min(w, c)), cap: c };
    }
    rest -= sorted[k]!;
  }
  // Not reached (at k = n - 1 the level is at least the smallest weight); equal weights if rounding says otherwise.
  const min = sorted[n - 1]!;
  return { weights: weights.map(() => min), cap: min };
}
