import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../shared/models/train.js';
import { binnedAuc, binnedAucInterval, hanleyMcNeilSe } from '../../shared/stats/binned-auc.js';
import {
  histogramFromMetrics,
  histogramMetrics,
  mergeHistograms,
  SCORE_BINS,
  scoreBin,
  scoreHistogram,
} from '../../shared/stats/score-histogram.js';

// Every score in its own bin of 20.
const DISTINCT = {
  scores: [0.12, 0.37, 0.81, 0.55, 0.93, 0.05, 0.66, 0.48, 0.29, 0.71],
  labels: [0, 0, 1, 1, 1, 0, 0, 1, 0, 1],
  // scipy.stats.mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic / (5 * 5)
  auc: 0.92,
};

// Pairs share bins (bins 2, 9, 16 and 18 of 20 hold two scores each, of both labels in 2, 9 and 16).
const TIED = {
  scores: [0.12, 0.14, 0.81, 0.83, 0.93, 0.05, 0.66, 0.48, 0.29, 0.71, 0.47, 0.91],
  labels: [0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0],
  // With numpy/scipy: b = np.minimum(19, np.floor(scores * 20));
  // U = scipy.stats.mannwhitneyu(b[labels == 1], b[labels == 0]).statistic; U / (5 * 7)
  binnedAuc: 0.6285714285714286,
  // The same on the raw scores (what binning costs here, with a dozen rows).
  exactAuc: 0.6571428571428571,
  // se = sqrt((A(1-A) + (5-1)(Q1-A^2) + (7-1)(Q2-A^2)) / (5*7)), Q1 = A/(2-A), Q2 = 2A^2/(1+A), in numpy;
  // bounds A -+ scipy.stats.norm.ppf(0.975) * se.
  se: 0.1713026151425676,
  lower: 0.2928244724344704,
  upper: 0.9643183847083867,
};

describe('scoreHistogram', () => {
  it('puts score p in bin floor(p B), 1 in the last bin, and counts by label', () => {
    expect([
      scoreBin(0, 20),
      scoreBin(0.049, 20),
      scoreBin(0.05, 20),
      scoreBin(1, 20),
      scoreBin(Number.NaN, 20),
    ]).toEqual([0, 0, 1, 19, 0]);
    const h = scoreHistogram([0.1, 0.1, 0.9, 1], [1, 0, 0, 1], 4);
    expect(h).toEqual({ pos: [1, 0, 0, 1], neg: [1, 0, 0, 1] });
  });

  it('round-trips through metric values, and refuses histograms that are not counts', () => {
    const h = scoreHistogram(DISTINCT.scores, DISTINCT.labels);
    const m = histogramMetrics(h);
    expect(Object.keys(m)).toHaveLength(2 * SCORE_BINS);
    expect(m['roc.pos.16']).toBe(1);
    expect(histogramFromMetrics({ ...m, accuracy: 0.8 }, 10)).toEqual(h);
    expect(histogramFromMetrics(m, 9)).toBeUndefined(); // more rows than the site evaluated
    expect(histogramFromMetrics({ ...m, 'roc.pos.3': 0.5 })).toBeUndefined();
    expect(histogramFromMetrics({ ...m, 'roc.pos.3': -1 })).toBeUndefined();
    const { 'roc.neg.0': _, ...missing } = m;
    expect(histogramFromMetrics(missing)).toBeUndefined();
    expect(histogramFromMetrics({ accuracy: 1 })).toBeUndefined();
  });

  it('merges sites by summing bins', () => {
    const a = { pos: [1, 2, 0], neg: [3, 0, 1] };
    const b = { pos: [0, 1, 5], neg: [2, 2, 0] };
    expect(mergeHistograms([a, b])).toEqual({ pos: [1, 3, 5], neg: [5, 2, 1] });
    expect(mergeHistograms([])).toBeUndefined();
    expect(() => mergeHistograms([a, { pos: [1], neg: [1] }])).toThrow();
  });
});

describe('binnedAuc', () => {
  it('is the exact Mann-Whitney AUC when every score has its own bin', () => {
    const h = scoreHistogram(DISTINCT.scores, DISTINCT.labels);
    expect(binnedAuc(h)).toBeCloseTo(DISTINCT.auc, 12);
    expect(binnedAuc(h)).toBeCloseTo(rocAuc(DISTINCT.scores, DISTINCT.labels), 12);
  });

  it('counts a positive and a negative in one bin as a tie (1/2): Mann-Whitney on the bins', () => {
    const h = scoreHistogram(TIED.scores, TIED.labels);
    expect(binnedAuc(h)).toBeCloseTo(TIED.binnedAuc, 12);
    expect(rocAuc(TIED.scores, TIED.labels)).toBeCloseTo(TIED.exactAuc, 12);
  });

  it('is the AUC of the pooled rows when sites merge their histograms', () => {
    const site1 = scoreHistogram(TIED.scores.slice(0, 5), TIED.labels.slice(0, 5));
    const site2 = scoreHistogram(TIED.scores.slice(5), TIED.labels.slice(5));
    expect(binnedAuc(mergeHistograms([site1, site2])!)).toBeCloseTo(TIED.binnedAuc, 12);
  });

  it('is NaN when a class is absent', () => {
    expect(binnedAuc({ pos: [0, 0], neg: [3, 1] })).toBeNaN();
    expect(binnedAucInterval({ pos: [2, 0], neg: [0, 0] }).lower).toBeNaN();
  });
});

describe('hanleyMcNeilSe', () => {
  it('matches the formula computed independently (numpy) for A = 0.8, 50 positives, 70 negatives', () => {
    // q1 = A/(2-A); q2 = 2A^2/(1+A); sqrt((A(1-A) + 49(q1-A^2) + 69(q2-A^2)) / (50*70)) in numpy
    expect(hanleyMcNeilSe(0.8, 50, 70)).toBeCloseTo(0.042672618632471813, 12);
  });

  it('matches it for A = 0.893, 51 positives, 58 negatives', () => {
    // The same numpy formula: 0.03251158176764658.
    expect(hanleyMcNeilSe(0.893, 51, 58)).toBeCloseTo(0.03251158176764658, 12);
  });

  it('gives the interval A -+ 1.96 SE of binned scores, clipped to [0, 1]', () => {
    const ci = binnedAucInterval(scoreHistogram(TIED.scores, TIED.labels));
    expect(ci.value).toBeCloseTo(TIED.binnedAuc, 12);
    expect(ci.se).toBeCloseTo(TIED.se, 12);
    expect(ci.lower).toBeCloseTo(TIED.lower, 12);
    expect(ci.upper).toBeCloseTo(TIED.upper, 12);
    expect([ci.positives, ci.negatives]).toEqual([5, 7]);
    // Perfect separation of 3 and 3: SE 0 at A = 1; nearly so with one tie: the upper bound is clipped.
    const perfect = binnedAucInterval({ pos: [0, 0, 3], neg: [3, 0, 0] });
    expect([perfect.value, perfect.lower, perfect.upper]).toEqual([1, 1, 1]);
    const near = binnedAucInterval({ pos: [0, 1, 2], neg: [2, 1, 0] });
    expect(near.upper).toBe(1);
    expect(near.lower).toBeLessThan(near.value);
  });
});
