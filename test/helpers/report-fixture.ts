// A small experiment report (3 rounds, DP with a budget, one failed site with hostile text) for the
// report renderers' tests.

import type { RoundRecord } from '../../coordinator/experiments/records.js';
import type { ExperimentReport } from '../../coordinator/experiments/report.js';
import { DifferentialPrivacy } from '../../coordinator/privacy/differential-privacy.js';
import { parseExperiment } from '../../shared/config/load.js';

const cfg = parseExperiment(
  {
    name: 'charts <b>',
    model: { zoo: 'logreg' },
    data: { format: 'csv', columns: ['a', 'y'], label: 'y', classes: 2, scaling: 'none' },
    rounds: 3,
    dp: { noise: 1, clip: 1, maxEpsilon: 8 },
  },
  'test',
);

function round(n: number, acc: number, eps: number, failures: Record<string, string> = {}): RoundRecord {
  return {
    round: n,
    attempt: 1,
    committedAt: n,
    participants: ['alpha', 'beta'].filter((s) => !(s in failures)),
    failures,
    trainLoss: 1 / n,
    siteEval: {},
    siteAccuracy: {},
    meanSiteAccuracy: acc,
    accuracy: acc,
    loss: 0.9 / n,
    evaluated: true,
    train: {},
    bytesDown: 0,
    bytesUp: 0,
    backends: {},
    durations: { trainMs: 0, aggregateMs: 0, evaluateMs: 0, totalMs: 0 },
    privacy: {
      epsilon: eps,
      delta: 1e-5,
      noiseMultiplier: 1,
      effectiveNoiseMultiplier: 1,
      samplingRate: 1,
      sampledFraction: 1,
      clip: 1,
      noise: 'central',
      colludingSites: 0,
    },
    strategy: 'fedavg',
  };
}

export const report: ExperimentReport = {
  experiment: { id: 'exp-1', name: cfg.name, status: 'completed', createdAt: '2026-11-30T00:00:00Z', config: cfg },
  rounds: [round(1, 0.5, 2), round(2, 0.75, 3, { beta: 'DATA_INVALID: <script>alert(1)</script>' }), round(3, 1, 4)],
  final: null,
  privacy: { ...DifferentialPrivacy.of(cfg)!.guarantee(false), epsilon: 4 },
  backends: {},
  bytes: { down: 10, up: 20 },
  events: [{ at: 0, message: 'submitted' }],
};
