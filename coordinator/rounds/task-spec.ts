// The task spec a site receives: built from the experiment record once per task, holding only what
// the site needs (its data settings with the federation's statistics, the model, this round's
// training settings, the privacy bound it must apply, whether its delta stays for secure aggregation).
import type { TaskSpec } from '../../shared/protocol/task-spec.js';
import { type ExperimentRecord, ExperimentRecords } from '../experiments/records.js';
import { DifferentialPrivacy } from '../privacy/differential-privacy.js';
import { createStrategy } from '../strategies/index.js';

export function taskSpecFor(rec: ExperimentRecord, round: number, roundSites: number): TaskSpec {
  const cfg = ExperimentRecords.effectiveConfig(rec);
  const dp = DifferentialPrivacy.of(cfg);
  return {
    data: cfg.data,
    model: cfg.model,
    train: createStrategy(cfg.strategy).configureFit(round, cfg.train),
    dpClip: dp?.clip,
    secure: cfg.secagg.mode !== 'off',
    seed: cfg.seed,
    dpNoiseMultiplier: dp?.noiseMultiplier ?? 0,
    colludingSites: dp?.colludingSites ?? 0,
    roundSites,
    rounds: cfg.rounds,
    manifestHash: rec.manifestHash ?? '',
    manifestJson: rec.manifest ?? '',
    ...(cfg.personalization ? { personalization: cfg.personalization } : {}),
  };
}
