// The area under the ROC curve from binned scores (score-histogram.ts), with a standard error and a
// 95% interval: what the coordinator can say about AUC from counts alone.
//
// AUC is the Mann-Whitney statistic: the chance that a random positive scores above a random negative,
// ties counted 1/2. On binned scores a positive and a negative in the same bin tie, so the binned AUC
// is the Mann-Whitney AUC of the rows' bin numbers; with one score per bin it is the exact AUC.
//
// Standard error: Hanley & McNeil (1982), "The meaning and use of the area under a receiver operating
// characteristic (ROC) curve", Radiology 143:29-36, eq. 2, with their exponential approximations
// Q1 = A/(2-A), Q2 = 2A^2/(1+A). It needs only A and the two class sizes, so it works on pooled counts.
// DeLong et al. (1988) estimate the variance without that approximation, but from each row's placement
// among the other class's scores: per-row scores, which do not leave the site.
import { type Bounds, Z95 } from './interval.js';
import type { ScoreHistogram } from './score-histogram.js';

export interface BinnedAuc extends Bounds {
  /** The AUC of the binned scores (ties within a bin counted 1/2). */
  value: number;
  /** Hanley-McNeil standard error. */
  se: number;
  positives: number;
  negatives: number;
}

/**
 * The Mann-Whitney AUC of binned scores: sum over bins of positives x (negatives in lower bins + half
 * the negatives in the same bin), over positives x negatives. NaN when a class is absent.
 */
export function binnedAuc(h: ScoreHistogram): number {
  let positives = 0;
  let negatives = 0;
  let wins = 0;
  for (let i = 0; i < h.pos.length; i++) {
    const p = h.pos[i]!;
    const n = h.neg[i]!;
    wins += p * (negatives + n / 2);
    positives += p;
    negatives += n;
  }
  return positives > 0 && negatives > 0 ? wins / (positives * negatives) : NaN;
}

/**
 * Hanley & McNeil's standard error of an AUC `a` from `positives` and `negatives` rows:
 * sqrt((A(1-A) + (nP-1)(Q1-A^2) + (nN-1)(Q2-A^2)) / (nP nN)), Q1 = A/(2-A), Q2 = 2A^2/(1+A).
 */
export function hanleyMcNeilSe(a: number, positives: number, negatives: number): number {
  if (!(positives > 0 && negatives > 0) || !Number.isFinite(a)) return NaN;
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const v = (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) / (positives * negatives);
  return Math.sqrt(Math.max(0, v));
}

/** The binned AUC with its Hanley-McNeil standard error and the interval A +- z SE, clipped to [0, 1]. */
export function binnedAucInterval(h: ScoreHistogram, z: number = Z95): BinnedAuc {
  const positives = h.pos.reduce((a, c) => a + c, 0);
  const negatives = h.neg.reduce((a, c) => a + c, 0);
  const value = binnedAuc(h);
  const se = hanleyMcNeilSe(value, positives, negatives);
  return {
    value,
    se,
    lower: Math.max(0, value - z * se),
    upper: Math.min(1, value + z * se),
    positives,
    negatives,
  };
}
