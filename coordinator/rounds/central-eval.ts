// Centralised evaluation: the coordinator scores each round's model on a held-out data set it owns
// (eval.central), beside the sites' federated evaluation.

import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { concatExamples, type Examples, prepareSite } from '../../shared/data/features.js';
import { loadImageTestSet } from '../../shared/data/images.js';
import { readTableFile } from '../../shared/data/read-table.js';
import { classCount, inputSize } from '../../shared/data/shape.js';
import { ConfigError } from '../../shared/errors/index.js';
import type { EvalResult } from '../../shared/models/train.js';
import type { FlatWeights } from '../../shared/tensors/weights.js';

const data = new Map<string, Examples>();
const models = new Map<string, tf.LayersModel>();

function heldOut(cfg: ExperimentConfig): Examples {
  const file = path.resolve(cfg.eval.central!);
  const key = `${file}|${JSON.stringify(cfg.data)}`;
  let d = data.get(key);
  if (!d) {
    if (cfg.data.format === 'idx') d = loadImageTestSet(file, cfg.data);
    else if (cfg.data.format === 'synthetic')
      throw new ConfigError('eval.central: synthetic data has no held-out file; sites evaluate on their own rows');
    else {
      // Every row is a test row; scaled with the federation's statistics when they are global.
      const site = prepareSite(readTableFile(file, cfg.data), { ...cfg.data, testFraction: 0.5 });
      d = concatExamples([site.train, site.test], inputSize(cfg.data));
    }
    data.set(key, d);
  }
  return d;
}

export async function centralEvaluate(
  experimentId: string,
  cfg: ExperimentConfig,
  weights: FlatWeights,
): Promise<EvalResult | undefined> {
  if (!cfg.eval.central) return undefined;
  // TF.js loads on first use, not with the coordinator (its first listen counts for recovery).
  await (await import('../../shared/models/backend.js')).initBackend();
  const { modelFor, setFlatWeights } = await import('../../shared/models/zoo.js');
  const { evaluateLocal } = await import('../../shared/models/train.js');
  let model = models.get(experimentId);
  if (!model) {
    model = await modelFor(cfg);
    models.set(experimentId, model);
  }
  setFlatWeights(model, weights);
  return evaluateLocal(model, heldOut(cfg), classCount(cfg.data));
}

/** A round record's `central` field from a central evaluation (none without one). */
export function centralFields(central: EvalResult | undefined) {
  return central
    ? {
        central: {
          accuracy: central.accuracy,
          loss: central.loss,
          examples: central.examples,
          ...(central.auc !== undefined ? { auc: central.auc } : {}),
        },
      }
    : {};
}
