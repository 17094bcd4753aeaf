// Record-level differential privacy at this site: local training with DP-SGD when the experiment asks
// for it, and the site's own privacy ledger over its rows (RDP, composed over every round it trained
// in). The site reports its epsilon beside its training loss; it never depends on the coordinator.
import type * as tf from '@tensorflow/tfjs';
import type { Examples } from '../shared/data/features.js';
import { trainDpSgd } from '../shared/models/dp-sgd.js';
import { type TrainResult, trainLocal } from '../shared/models/train.js';
import { type AccountantState, RdpAccountant } from '../shared/privacy/rdp.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';

export class RecordPrivacy {
  /** Per experiment: what this site's rows have spent so far (kept in memory for the worker's life). */
  private readonly spent = new Map<string, AccountantState>();

  /** Trains for one task; with DP-SGD, also charges the site's ledger and returns its epsilon. */
  async train(
    experimentId: string,
    model: tf.LayersModel,
    data: Examples,
    spec: TaskSpec,
    classes: number,
    seed: number,
  ): Promise<TrainResult & { recordEpsilon?: number }> {
    const dp = spec.train.dpSgd;
    if (!dp) return trainLocal(model, data, spec.train, classes, seed);
    const result = await trainDpSgd(model, data, spec.train, dp, classes);
    const ledger = RdpAccountant.from(this.spent.get(experimentId)).compose(result.q, dp.noiseMultiplier, result.steps);
    this.spent.set(experimentId, ledger.state());
    return { ...result, recordEpsilon: ledger.epsilon(dp.delta) };
  }
}
