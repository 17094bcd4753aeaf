// Scores of a binary classifier on a site's test rows, as two histograms over equal bins of [0, 1]:
// positives per bin and negatives per bin. Counts, so the sites' histograms add up to the histogram of
// the pooled rows (mergeHistograms), in the clear now and under secure aggregation later; a row's score
// never leaves the site.

/**
 * Bins of the histograms the sites send. 20 bins of width 0.05: binning only turns a positive and a
 * negative in the same bin into a tie (counted 1/2), so the binned AUC is within half the share of
 * such pairs of the exact one, which at this width is a few thousandths for a model that separates the
 * classes (each bin holds ~5% of the rows); 40 metric values per evaluation, well within a metrics
 * message, and a coarse enough picture of the site's scores to release beside its AUC.
 */
export const SCORE_BINS = 20;

export interface ScoreHistogram {
  /** Positives (label 1) per bin; bin i holds scores in [i/B, (i+1)/B), the last one also 1. */
  pos: number[];
  /** Negatives (label 0) per bin. */
  neg: number[];
}

/** The bin of score `p` among `bins` equal bins of [0, 1] (scores outside are clamped to the ends). */
export function scoreBin(p: number, bins: number): number {
  if (!(p > 0)) return 0; // also NaN
  return Math.min(bins - 1, Math.floor(p * bins));
}

/** Histograms of `scores` (probability of label 1) by label (1 positive, anything else negative). */
export function scoreHistogram(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins: number = SCORE_BINS,
): ScoreHistogram {
  const pos = new Array<number>(bins).fill(0);
  const neg = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const b = scoreBin(scores[i]!, bins);
    if (labels[i] === 1) pos[b]!++;
    else neg[b]!++;
  }
  return { pos, neg };
}

/** The histogram of the pooled rows: bin-wise sums of the sites' histograms (all with the same bins). */
export function mergeHistograms(hs: readonly ScoreHistogram[]): ScoreHistogram | undefined {
  const first = hs[0];
  if (!first) return undefined;
  const bins = first.pos.length;
  if (hs.some((h) => h.pos.length !== bins || h.neg.length !== bins))
    throw new Error('score histograms with different bins cannot be merged');
  const sum = (k: 'pos' | 'neg') => Array.from({ length: bins }, (_, i) => hs.reduce((a, h) => a + h[k][i]!, 0));
  return { pos: sum('pos'), neg: sum('neg') };
}

/** Metric names of a histogram's counts: roc.pos.<bin> and roc.neg.<bin>. */
const POS = 'roc.pos.';
const NEG = 'roc.neg.';

/** A histogram as metric values (roc.pos.0 ... roc.neg.<B-1>), to send beside a site's other metrics. */
export function histogramMetrics(h: ScoreHistogram): Record<string, number> {
  const out: Record<string, number> = {};
  h.pos.forEach((c, i) => {
    out[`${POS}${i}`] = c;
  });
  h.neg.forEach((c, i) => {
    out[`${NEG}${i}`] = c;
  });
  return out;
}

/**
 * The histogram a site's metric values carry, or undefined when they carry none or one that is not a
 * histogram: bins 0..B-1 of both labels, each a whole number, adding up to at most `examples` rows.
 */
export function histogramFromMetrics(
  values: Record<string, number>,
  examples: number = Number.POSITIVE_INFINITY,
): ScoreHistogram | undefined {
  const keys = Object.keys(values).filter((k) => k.startsWith(POS) || k.startsWith(NEG));
  if (!keys.length || keys.length % 2) return undefined;
  const bins = keys.length / 2;
  const read = (prefix: string) => Array.from({ length: bins }, (_, i) => values[`${prefix}${i}`]);
  const pos = read(POS);
  const neg = read(NEG);
  const counts = [...pos, ...neg];
  if (!counts.every((c): c is number => c !== undefined && Number.isInteger(c) && c >= 0)) return undefined;
  if (counts.reduce((a, c) => a + c, 0) > examples) return undefined;
  return { pos: pos as number[], neg: neg as number[] };
}

/** Whether metric name `k` is a histogram count (roc.pos.<i> or roc.neg.<i>). */
export function isHistogramMetric(k: string): boolean {
  return k.startsWith(POS) || k.startsWith(NEG);
}
