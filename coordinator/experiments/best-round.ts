// Which committed round scored best: the exported model is the last round's, which is not always the
// best (the demo peaked at round 6), so the best one is kept beside it and the report says which is
// which. Scored by the coordinator's own held-out evaluation when it has one, else by the mean of the
// sites' accuracies; the earliest of equal scores wins (fewer rounds, less released).
import type { RoundRecord } from './round-record.js';

export interface BestRound {
  round: number;
  score: number;
  metric: 'central accuracy' | 'mean site accuracy';
}

export function bestRound(rounds: readonly RoundRecord[]): BestRound | undefined {
  const central = rounds.some((r) => Number.isFinite(r.central?.accuracy));
  let best: BestRound | undefined;
  for (const r of rounds) {
    const score = central ? (r.central?.accuracy ?? NaN) : r.evaluated ? r.meanSiteAccuracy : NaN;
    if (!Number.isFinite(score)) continue;
    if (!best || score > best.score)
      best = { round: r.round, score, metric: central ? 'central accuracy' : 'mean site accuracy' };
  }
  return best;
}
