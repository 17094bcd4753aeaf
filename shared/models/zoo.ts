// Model zoo and TF.js <-> flat-weights glue. Both sides build the same topology from the config (a
// custom one travels in it by value: topology.ts); only weights travel.

import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AppShape } from '../apps/interface.js';
import { appTopology } from '../apps/resolve.js';
import type { DataConfig, ModelConfig } from '../config/schema.js';
import { classCount, inputSize } from '../data/shape.js';
import { ConfigError } from '../errors/index.js';
import { rng, seedOf } from '../random.js';
import { type FlatWeights, flatten, type TensorShape, unflatten } from '../tensors/weights.js';
import { readTopology } from './topology.js';
import { zooApp } from './zoo-apps.js';

/**
 * Builds a zoo model (zoo-apps.ts: the zoo's `model` hooks, as apps export them); weights are
 * initialised from `seed` so every process starts from the same point.
 */
export function buildModel(
  cfg: ModelConfig,
  inputDim: number,
  classes: number,
  seed: number,
  imageShape?: [number, number, number],
): tf.LayersModel {
  if (!('zoo' in cfg)) throw new ConfigError('model.path: use createModel() to load a model.json topology');
  const shape: AppShape = {
    inputSize: inputDim,
    classes,
    outputUnits: classes === 2 ? 1 : classes,
    ...(imageShape ? { imageShape } : {}),
  };
  return zooApp(cfg, seed).model(tf, shape);
}

/** A TF.js layers topology as a model, its weights set from `seed` (the same here and at every site). */
export async function modelFromTopology(topology: Record<string, unknown>, seed: number): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
  } catch (e) {
    throw new ConfigError(`model: the topology does not build a TF.js layers model: ${(e as Error).message}`);
  }
  seededWeights(model, seed);
  return model;
}

/**
 * Glorot-uniform kernels and zero biases from a seeded generator, in plain JavaScript: a topology's own
 * initializers are unseeded, and the coordinator and every site must start from the same model
 * (worker/model-ties.ts refuses metrics for any other).
 */
function seededWeights(model: tf.LayersModel, seed: number): void {
  const next = rng(seedOf(seed, 'custom-model'));
  const tensors = model.weights.map((w) => {
    const shape = [...w.shape] as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (shape.length >= 2) {
      const fanOut = shape[shape.length - 1]!;
      const fanIn = size / fanOut;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) values[i] = (2 * next() - 1) * limit;
    }
    return tf.tensor(values, shape);
  });
  model.setWeights(tensors);
  for (const t of tensors) t.dispose();
}

/** Builds from the zoo or loads model.json, and checks input and output sizes against the data. */
export async function createModel(
  cfg: ModelConfig,
  inputDim: number,
  classes: number,
  seed: number,
  baseDir = process.cwd(),
  imageShape?: [number, number, number],
): Promise<tf.LayersModel> {
  if ('zoo' in cfg) return buildModel(cfg, inputDim, classes, seed, imageShape);
  const units = classes === 2 ? 1 : classes;
  const topology =
    'topology' in cfg
      ? cfg.topology
      : 'app' in cfg
        ? await appTopology(path.resolve(baseDir, cfg.app), {
            inputSize: inputDim,
            classes,
            outputUnits: units,
            ...(imageShape ? { imageShape } : {}),
          })
        : readTopology(path.resolve(baseDir, cfg.path));
  const model = await modelFromTopology(topology, seed);
  const inShape = model.inputs[0]!.shape;
  const outShape = model.outputs[0]!.shape;
  if (inShape[inShape.length - 1] !== inputDim)
    throw new ConfigError(
      `model: the model takes ${inShape[inShape.length - 1]} inputs, the data has ${inputDim} features`,
    );
  if (outShape[outShape.length - 1] !== units)
    throw new ConfigError(`model: the model gives ${outShape[outShape.length - 1]} outputs, the data needs ${units}`);
  return model;
}

/** Positional names: layer names differ between processes (TF.js counts layers globally). */
export function weightSpecs(model: tf.LayersModel): TensorShape[] {
  return model.weights.map((w, i) => ({ name: `w${i}`, shape: [...w.shape] as number[] }));
}

export function getFlatWeights(model: tf.LayersModel): FlatWeights {
  const specs = weightSpecs(model);
  const parts = model.getWeights().map((t) => t.dataSync() as Float32Array);
  return flatten(specs, parts);
}

export function setFlatWeights(model: tf.LayersModel, flat: FlatWeights): void {
  const parts = unflatten(flat);
  const tensors = parts.map((p, i) => tf.tensor(p, flat.specs[i]!.shape));
  model.setWeights(tensors);
  for (const t of tensors) t.dispose();
}

/** Builds the experiment's model for its data: input size, classes and image shape from the config. */
export async function modelFor(cfg: { model: ModelConfig; data: DataConfig; seed: number }): Promise<tf.LayersModel> {
  return createModel(
    cfg.model,
    inputSize(cfg.data),
    classCount(cfg.data),
    cfg.seed,
    process.cwd(),
    cfg.data.format === 'idx' ? cfg.data.imageShape : undefined,
  );
}
