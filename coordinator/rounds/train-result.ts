// What a round record says of the sites' training: each site's result, and the round's training loss
// (weighted by examples). Shared by synchronous rounds (aggregate.ts, commit.ts) and async versions
// (async-commit.ts).
import type { SiteRoundResult } from '../experiments/records.js';
import type { TrainOutcome } from '../queues/jobs.js';
import { weightedMetrics } from '../strategies/math.js';

export function siteTrainResult(t: TrainOutcome): SiteRoundResult {
  return {
    examples: t.examples,
    trainLoss: t.metrics['loss'] ?? NaN,
    startAccuracy: t.metrics['startAccuracy'] ?? NaN,
    ...(t.metrics['recordEpsilon'] !== undefined ? { recordEpsilon: t.metrics['recordEpsilon'] } : {}),
    bytesDown: t.bytesDown,
    bytesUp: t.bytesUp,
    durationMs: t.durationMs,
    backend: t.backend,
    ...(t.backendReason ? { backendReason: t.backendReason } : {}),
  };
}

/** The example-weighted mean of the sites' training losses (a site reporting 0 examples counts as 1). */
export function meanTrainLoss(outcomes: readonly Pick<TrainOutcome, 'examples' | 'metrics'>[]): number {
  return (
    weightedMetrics(outcomes.map((t) => ({ examples: t.examples || 1, values: { loss: t.metrics['loss'] ?? NaN } })))[
      'loss'
    ] ?? NaN
  );
}
