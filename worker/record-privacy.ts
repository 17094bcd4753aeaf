// Record-level differential privacy at this site: local training with DP-SGD when the experiment asks
// for it, charged to the site's ledger over its rows (site-budget.ts: RDP composed over every round
// of every experiment on the same data set, capped by the site's maxRecordEpsilon before training).
// The site reports its data set's epsilon beside its training loss; it never depends on the coordinator.
import type * as tf from '@tensorflow/tfjs';
import type { Examples } from '../shared/data/features.js';
import { dpSgdSchedule, trainDpSgd } from '../shared/models/dp-sgd.js';
import { type TrainResult, trainLocal } from '../shared/models/train.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import type { SiteBudget } from './site-budget.js';

export class RecordPrivacy {
  constructor(private readonly budget: SiteBudget) {}

  /** Trains for one task; with DP-SGD, checks and charges the data set's ledger and returns its epsilon. */
  async train(
    experimentId: string,
    dataset: string,
    model: tf.LayersModel,
    data: Examples,
    spec: TaskSpec,
    classes: number,
    seed: number,
    /** The weight tensors that train (model.weights indices; personalization's FedRep). Default: all. */
    only?: readonly number[],
  ): Promise<TrainResult & { recordEpsilon?: number }> {
    const dp = spec.train.dpSgd;
    if (!dp) return trainLocal(model, data, spec.train, classes, seed, only ? { only } : {});
    const planned = dpSgdSchedule(data.n, spec.train);
    this.budget.priceRecord(dataset, planned.q, dp.noiseMultiplier, planned.steps, dp.delta);
    const result = await trainDpSgd(model, data, spec.train, dp, classes, only);
    const recordEpsilon = this.budget.chargeRecord(
      dataset,
      result.q,
      dp.noiseMultiplier,
      result.steps,
      dp.delta,
      experimentId,
    );
    return { ...result, recordEpsilon };
  }
}
