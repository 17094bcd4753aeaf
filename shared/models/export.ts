// Exports a global model in TF.js layers format (model.json + weights.bin), loadable with tf.loadLayersModel.

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config/schema.js';
import { classCount, inputNames } from '../data/shape.js';
import { writeFileAtomic } from '../files/atomic.js';
import type { FlatWeights } from '../tensors/weights.js';
import { initBackend } from './backend.js';
import { modelFor, setFlatWeights } from './zoo.js';

/** Builds the experiment's model with `weights` and saves it to `dir` (saveModel). */
export async function exportModel(
  cfg: Pick<ExperimentConfig, 'model' | 'data' | 'seed'>,
  weights: FlatWeights,
  dir: string,
): Promise<string[]> {
  await initBackend();
  const model = await modelFor(cfg);
  setFlatWeights(model, weights);
  try {
    return await saveModel(model, cfg, dir);
  } finally {
    model.dispose();
  }
}

/** Saves `model` as it is, with what a user needs to feed it (from the experiment's data settings). */
export async function saveModel(
  model: tf.LayersModel,
  cfg: Pick<ExperimentConfig, 'data'>,
  dir: string,
): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const bin = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      writeFileAtomic(path.join(dir, 'weights.bin'), bin);
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js v${tf.version.tfjs} (Accord)`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        // What a user needs to feed the model: feature order, and the scaling the federation used.
        userDefinedMetadata: {
          format: cfg.data.format,
          inputs: inputNames(cfg.data).length <= 4096 ? inputNames(cfg.data) : inputNames(cfg.data).length,
          classes: classCount(cfg.data),
          ...(cfg.data.format === 'csv'
            ? { label: cfg.data.label, scaling: cfg.data.scaling, ...(cfg.data.stats ? { stats: cfg.data.stats } : {}) }
            : cfg.data.format === 'idx'
              ? { imageShape: cfg.data.imageShape, scaling: 'pixel / 255' }
              : { generator: 'Synthetic(alpha, beta), Li et al. 2020' }),
        },
      };
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return [path.join(dir, 'model.json'), path.join(dir, 'weights.bin')];
}
