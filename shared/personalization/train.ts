// The local training of each personalization method (shared/config/schema.ts personalizationSchema),
// on TF.js models, for the worker's tasks and the benchmark alike. FedRep's phases name the weights
// that train (TrainOptions.only), leaving TF.js's trainable flags alone (they reorder model.weights).
import type * as tf from '@tensorflow/tfjs';
import type { PersonalizationConfig, TrainConfig } from '../config/schema.js';
import type { Examples } from '../data/features.js';
import { type TrainResult, trainLocal } from '../models/train.js';
import { getFlatWeights, setFlatWeights } from '../models/zoo.js';
import type { FlatWeights } from '../tensors/weights.js';
import type { Head } from './head.js';

/**
 * Local training under the experiment's settings (the worker's applies DP-SGD and charges its ledger),
 * of the weight tensors `only` (model.weights indices; default all).
 */
export type LocalTraining = (
  train: TrainConfig,
  only?: readonly number[],
) => Promise<TrainResult & { recordEpsilon?: number }>;

/**
 * FedPer and FedRep on a model that holds the global body and the site's head. FedPer trains both
 * together; FedRep trains the head for `headEpochs` with the body frozen, then the body for the
 * round's epochs (or local steps) with the head frozen. Returns the last phase's result.
 */
export async function trainWithHead(
  model: tf.LayersModel,
  cfg: PersonalizationConfig,
  head: Head,
  train: TrainConfig,
  run: LocalTraining,
): Promise<TrainResult & { recordEpsilon?: number }> {
  // The head is the site's own and scored on its own rows: plain softmax. (Restricted softmax keeps an
  // averaged output layer from forgetting the classes a round's sites lack; a head is not averaged,
  // and trained restricted it would not learn to rule out the classes the site never sees.)
  const plain = { ...train, restrictedSoftmax: false };
  if (cfg.method !== 'fedrep') return run(plain);
  const inHead = new Set(head.tensors);
  const body = model.weights.map((_, i) => i).filter((i) => !inHead.has(i));
  const { localSteps, ...rest } = plain;
  await run({ ...rest, epochs: cfg.headEpochs }, head.tensors);
  return run(plain, body);
}

/**
 * Ditto's personal step: the personal model `personal` trained for the round's epochs with
 * lambda/2 ||v - w||^2 toward the global model `global`. Returns the new personal weights. It never
 * leaves the site, so it trains without DP-SGD (the global model's training carries the record-level
 * guarantee of what is sent).
 */
export async function trainDittoPersonal(
  model: tf.LayersModel,
  personal: FlatWeights,
  global: FlatWeights,
  lambda: number,
  data: Examples,
  train: TrainConfig,
  classes: number,
  seed: number,
): Promise<Float32Array> {
  setFlatWeights(model, personal);
  const { dpSgd, ...plain } = train;
  // Scored on the site's own rows: plain softmax (see trainWithHead).
  await trainLocal(model, data, { ...plain, proximalMu: lambda, restrictedSoftmax: false }, classes, seed, {
    anchor: global,
  });
  return getFlatWeights(model).values;
}

/** Fine-tuning: the global model trained locally for `epochs` (left in `model`). */
export async function fineTune(
  model: tf.LayersModel,
  global: FlatWeights,
  epochs: number,
  data: Examples,
  train: TrainConfig,
  classes: number,
  seed: number,
): Promise<void> {
  setFlatWeights(model, global);
  const { dpSgd, localSteps, ...plain } = train;
  await trainLocal(model, data, { ...plain, epochs, proximalMu: 0, restrictedSoftmax: false }, classes, seed);
}
