// A round's evaluation from the sites' metrics: the counts each site sends beside them (correct
// predictions, binned scores) are summed over the sites into the pooled intervals.
import { describe, expect, it } from 'vitest';
import { siteEvalResultSchema } from '../../coordinator/experiments/round-record.js';
import type { TaskJobResult } from '../../coordinator/queues/jobs.js';
import { siteEvaluation } from '../../coordinator/rounds/site-evaluation.js';
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { binnedAuc } from '../../shared/stats/binned-auc.js';
import { histogramMetrics, type ScoreHistogram } from '../../shared/stats/score-histogram.js';

// Only the strategy is read.
const cfg = { strategy: { name: 'fedavg' } } as ExperimentConfig;

function site(name: string, examples: number, metrics: Record<string, number>): TaskJobResult {
  return { site: name, kind: 'evaluate', backend: 'cpu', examples, metrics, bytesDown: 0, bytesUp: 0, durationMs: 1 };
}

// 4 bins; site a: 50 rows, 40 right; site b: 50 rows, 41 right: 81 of 100 pooled.
const A: ScoreHistogram = { pos: [1, 2, 7, 15], neg: [12, 8, 4, 1] };
const B: ScoreHistogram = { pos: [0, 3, 10, 12], neg: [9, 9, 5, 2] };
const POOLED: ScoreHistogram = { pos: [1, 5, 17, 27], neg: [21, 17, 9, 3] };

describe('siteEvaluation', () => {
  const evals = [
    site('a', 50, { accuracy: 0.8, loss: 0.4, auc: 0.9, correct: 40, ...histogramMetrics(A) }),
    site('b', 50, { accuracy: 0.82, loss: 0.5, auc: 0.85, correct: 41, ...histogramMetrics(B) }),
  ];
  const ev = siteEvaluation(evals, cfg);

  it('sums the sites correct predictions into a Wilson interval of the pooled rows', () => {
    // scipy.stats.binomtest(81, 100).proportion_ci(method='wilson')
    expect(ev.accuracyInterval).toMatchObject({ correct: 81, examples: 100 });
    expect(ev.accuracyInterval!.lower).toBeCloseTo(0.7222115462093562, 12);
    expect(ev.accuracyInterval!.upper).toBeCloseTo(0.8748524849023126, 12);
    expect(ev.accuracy).toBeCloseTo(0.81, 12); // the strategy's mean, not disturbed by the counts
    expect(ev.siteEval['a']!.accuracyInterval).toMatchObject({ correct: 40, examples: 50 });
  });

  it('sums the sites score histograms bin by bin for the pooled AUC', () => {
    expect(ev.aucInterval).toMatchObject({ positives: 50, negatives: 50, bins: 4 });
    expect(ev.aucInterval!.value).toBeCloseTo(binnedAuc(POOLED), 12);
    expect(ev.aucInterval!.lower).toBeLessThan(ev.aucInterval!.value);
    expect(ev.aucInterval!.upper).toBeGreaterThan(ev.aucInterval!.value);
    expect(ev.siteEval['b']!.aucInterval!.value).toBeCloseTo(binnedAuc(B), 12);
    expect(ev.auc).toBeCloseTo(0.875, 12); // the sites' own AUCs, example-weighted, as before
  });

  it('keeps round records parseable', () => {
    for (const e of Object.values(ev.siteEval)) expect(siteEvalResultSchema.parse(e)).toEqual(e);
  });

  it('leaves out sites without counts and counts that are not counts', () => {
    const mixed = siteEvaluation(
      [
        ...evals,
        site('old', 30, { accuracy: 0.5, loss: 0.7 }),
        site('odd', 30, { accuracy: 0.5, loss: 0.7, correct: 31, 'roc.pos.0': 0.5, 'roc.neg.0': 1 }),
      ],
      cfg,
    );
    expect(mixed.accuracyInterval).toMatchObject({ correct: 81, examples: 100 });
    expect(mixed.aucInterval!.value).toBeCloseTo(binnedAuc(POOLED), 12);
    expect(mixed.siteEval['old']!.accuracyInterval).toBeUndefined();
    expect(mixed.siteEval['odd']!.aucInterval).toBeUndefined();
    const none = siteEvaluation([site('old', 30, { accuracy: 0.5, loss: 0.7 })], cfg);
    expect(none.accuracyInterval).toBeUndefined();
    expect(none.aucInterval).toBeUndefined();
  });
});
