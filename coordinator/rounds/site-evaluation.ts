// What the sites' scores of one model say, as a round record holds them: each site's result, and the
// strategy's aggregate (FedAvg: weighted by test examples). Shared by synchronous rounds (commit.ts)
// and async versions (async-evaluate.ts).
//
// Intervals come from counts the sites send beside their metrics (worker/evaluate-task.ts): `correct`
// predictions, and for binary labels histograms of the scores by label. Counts add up over sites, so the
// round's figures are those of the pooled test rows: a Wilson interval of the pooled accuracy
// (shared/stats/wilson.ts), and the AUC of the summed histograms with its Hanley-McNeil interval
// (shared/stats/binned-auc.ts). A site that sends no counts (an older worker) is left out of them.

import type { ExperimentConfig } from '../../shared/config/schema.js';
import { binnedAucInterval } from '../../shared/stats/binned-auc.js';
import {
  histogramFromMetrics,
  isHistogramMetric,
  mergeHistograms,
  type ScoreHistogram,
} from '../../shared/stats/score-histogram.js';
import { wilsonInterval } from '../../shared/stats/wilson.js';
import type { RoundRecord, SiteEvalResult } from '../experiments/records.js';
import type { AccuracyInterval, BinnedAucRecord } from '../experiments/round-record.js';
import type { TaskJobResult } from '../queues/jobs.js';
import { createStrategy } from '../strategies/index.js';

export type SiteEvaluation = Pick<
  RoundRecord,
  | 'siteEval'
  | 'siteAccuracy'
  | 'meanSiteAccuracy'
  | 'personalSiteAccuracy'
  | 'meanPersonalSiteAccuracy'
  | 'accuracy'
  | 'loss'
  | 'auc'
  | 'accuracyInterval'
  | 'aucInterval'
  | 'evaluated'
>;

/**
 * A site's count of correct predictions (`key`: correct, or personal.correct for its personal model),
 * when it sent a whole number within its test rows.
 */
function correctOf(e: TaskJobResult, key = 'correct'): number | undefined {
  const c = e.metrics[key];
  return c !== undefined && Number.isInteger(c) && c >= 0 && c <= e.examples ? c : undefined;
}

/** A site's personal model's figures (personal.<name>), when it sent them. */
function personalOf(e: TaskJobResult): SiteEvalResult['personal'] {
  const m = e.metrics;
  const accuracy = m['personal.accuracy'];
  if (accuracy === undefined) return undefined;
  const c = correctOf(e, 'personal.correct');
  return {
    accuracy,
    loss: m['personal.loss'] ?? NaN,
    ...(m['personal.auc'] !== undefined ? { auc: m['personal.auc'] } : {}),
    ...(c !== undefined ? { accuracyInterval: accuracyInterval(c, e.examples) } : {}),
  };
}

function accuracyInterval(correct: number, examples: number): AccuracyInterval {
  return { ...wilsonInterval(correct, examples), correct, examples };
}

function aucInterval(h: ScoreHistogram): BinnedAucRecord | undefined {
  const a = binnedAucInterval(h);
  if (!Number.isFinite(a.value)) return undefined; // one class absent
  return { ...a, bins: h.pos.length };
}

export function siteEvaluation(evals: readonly TaskJobResult[], cfg: ExperimentConfig): SiteEvaluation {
  const siteEval: Record<string, SiteEvalResult> = {};
  let correct = 0;
  let examples = 0;
  const histograms: ScoreHistogram[] = [];
  for (const e of evals) {
    const app = Object.entries(e.metrics).filter(([k]) => k.startsWith('app.'));
    const own = personalOf(e);
    const c = correctOf(e);
    if (c !== undefined) {
      correct += c;
      examples += e.examples;
    }
    const h = histogramFromMetrics(e.metrics, e.examples);
    if (h && (!histograms[0] || histograms[0].pos.length === h.pos.length)) histograms.push(h);
    const auc = h && aucInterval(h);
    siteEval[e.site] = {
      accuracy: e.metrics['accuracy'] ?? NaN,
      loss: e.metrics['loss'] ?? NaN,
      examples: e.examples,
      ...(e.metrics['auc'] !== undefined ? { auc: e.metrics['auc'] } : {}),
      ...(c !== undefined ? { accuracyInterval: accuracyInterval(c, e.examples) } : {}),
      ...(auc ? { aucInterval: auc } : {}),
      ...(app.length ? { app: Object.fromEntries(app.map(([k, v]) => [k.slice(4), v])) } : {}),
      ...(own ? { personal: own } : {}),
    };
  }
  const personal = Object.entries(siteEval).filter(([, e]) => e.personal);
  const personalSiteAccuracy = Object.fromEntries(personal.map(([s, e]) => [s, e.personal!.accuracy]));
  const personalAccs = Object.values(personalSiteAccuracy).filter(Number.isFinite);
  const siteAccuracy = Object.fromEntries(Object.entries(siteEval).map(([s, e]) => [s, e.accuracy]));
  const accs = Object.values(siteAccuracy).filter(Number.isFinite);
  // Counts are summed above, not averaged by the strategy.
  const averaged = (values: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(values).filter(([k]) => k !== 'correct' && !k.startsWith('personal.') && !isHistogramMetric(k)),
    );
  const overall = createStrategy(cfg.strategy).aggregateEvaluate(
    evals.map((e) => ({ examples: e.examples, values: averaged(e.metrics) })),
  );
  const pooled = mergeHistograms(histograms);
  const pooledAuc = pooled && aucInterval(pooled);
  return {
    siteEval,
    siteAccuracy,
    meanSiteAccuracy: accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : NaN,
    ...(personal.length
      ? {
          personalSiteAccuracy,
          meanPersonalSiteAccuracy: personalAccs.length
            ? personalAccs.reduce((a, b) => a + b, 0) / personalAccs.length
            : NaN,
        }
      : {}),
    accuracy: overall['accuracy'] ?? NaN,
    loss: overall['loss'] ?? NaN,
    ...(overall['auc'] !== undefined ? { auc: overall['auc'] } : {}),
    ...(examples > 0 ? { accuracyInterval: accuracyInterval(correct, examples) } : {}),
    ...(pooledAuc ? { aucInterval: pooledAuc } : {}),
    evaluated: evals.length > 0,
  };
}
