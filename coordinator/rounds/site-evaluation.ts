// What the sites' scores of one model say, as a round record holds them: each site's result, and the
// strategy's aggregate (FedAvg: weighted by test examples). Shared by synchronous rounds (commit.ts)
// and async versions (async-evaluate.ts).

import type { ExperimentConfig } from '../../shared/config/schema.js';
import type { RoundRecord, SiteEvalResult } from '../experiments/records.js';
import type { TaskJobResult } from '../queues/jobs.js';
import { createStrategy } from '../strategies/index.js';

export type SiteEvaluation = Pick<
  RoundRecord,
  'siteEval' | 'siteAccuracy' | 'meanSiteAccuracy' | 'accuracy' | 'loss' | 'auc' | 'evaluated'
>;

export function siteEvaluation(evals: readonly TaskJobResult[], cfg: ExperimentConfig): SiteEvaluation {
  const siteEval: Record<string, SiteEvalResult> = {};
  for (const e of evals) {
    const app = Object.entries(e.metrics).filter(([k]) => k.startsWith('app.'));
    siteEval[e.site] = {
      accuracy: e.metrics['accuracy'] ?? NaN,
      loss: e.metrics['loss'] ?? NaN,
      examples: e.examples,
      ...(e.metrics['auc'] !== undefined ? { auc: e.metrics['auc'] } : {}),
      ...(app.length ? { app: Object.fromEntries(app.map(([k, v]) => [k.slice(4), v])) } : {}),
    };
  }
  const siteAccuracy = Object.fromEntries(Object.entries(siteEval).map(([s, e]) => [s, e.accuracy]));
  const accs = Object.values(siteAccuracy).filter(Number.isFinite);
  const overall = createStrategy(cfg.strategy).aggregateEvaluate(
    evals.map((e) => ({ examples: e.examples, values: e.metrics })),
  );
  return {
    siteEval,
    siteAccuracy,
    meanSiteAccuracy: accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : NaN,
    accuracy: overall['accuracy'] ?? NaN,
    loss: overall['loss'] ?? NaN,
    ...(overall['auc'] !== undefined ? { auc: overall['auc'] } : {}),
    evaluated: evals.length > 0,
  };
}
