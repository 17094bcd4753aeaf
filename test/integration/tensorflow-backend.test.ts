// The native TensorFlow backend (@tensorflow/tfjs-node, built offline by `npm run setup:tensorflow`):
// Accord's own training loop gives the same weights on it as on wasm, for the zoo's logistic regression
// and its CNN, and `accord simulate --backend tensorflow` runs on it and says so in report.json. Skipped
// with the reason where tfjs-node cannot be required; under CI (.ci/run builds it) it runs and fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { ModelConfig, TrainConfig } from '../../shared/config/schema.js';
import type { Examples } from '../../shared/data/features.js';
import { type BackendName, initBackend } from '../../shared/models/backend.js';
import { trainLocal } from '../../shared/models/train.js';
import { buildModel, getFlatWeights, setFlatWeights } from '../../shared/models/zoo.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { rng } from '../../shared/random.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { missingTool, runsWith } from '../helpers/optional.js';

// Weights after training may differ between backends by float32 rounding in a different order of
// operations (TensorFlow's oneDNN kernels, XNNPACK on wasm), not more: the largest difference over all
// weights, relative to the largest weight.
const TOLERANCE = 1e-4;

const base: TrainConfig = parseExperiment({ data: { columns: ['a', 'y'], label: 'y', binarise: '> 0' } }).train;

/** n seeded rows of `features` values in [-1, 1), labels from a seeded linear rule over `classes`. */
function batch(n: number, features: number, classes: number, seed: number): Examples {
  const next = rng(seed);
  const x = Float32Array.from({ length: n * features }, () => 2 * next() - 1);
  const y = Int32Array.from({ length: n }, (_, r) => {
    let s = 0;
    for (let j = 0; j < features; j++) s += x[r * features + j]! * Math.cos(j);
    return Math.min(classes - 1, Math.floor(((Math.tanh(s) + 1) / 2) * classes));
  });
  return { n, x, y };
}

interface Case {
  model: ModelConfig;
  rows: number;
  features: number;
  classes: number;
  imageShape?: [number, number, number];
  train: Partial<TrainConfig>;
}

/** Trains the case's model from `init` on `backend` with Accord's loop; its weights after. */
async function trainOn(backend: BackendName, c: Case, data: Examples, init?: Float32Array): Promise<Float32Array> {
  const b = await initBackend(backend);
  expect(b.backend).toBe(backend);
  expect(tf.getBackend()).toBe(backend);
  const model = buildModel(c.model, c.features, c.classes, 3, c.imageShape);
  if (init) setFlatWeights(model, { ...getFlatWeights(model), values: init });
  await trainLocal(model, data, { ...base, ...c.train }, c.classes, 11);
  const w = getFlatWeights(model).values;
  model.dispose();
  return w;
}

function relativeDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe.runIf(runsWith('tensorflow'))('the tensorflow backend (tfjs-node)', () => {
  it('loads', async () => {
    const why = missingTool('tensorflow');
    expect(why, why).toBeUndefined();
    const b = await initBackend('tensorflow');
    expect(b).toMatchObject({ backend: 'tensorflow', device: 'cpu', reason: 'requested' });
  });

  const cases: Record<string, Case> = {
    // Heart-disease sized: 13 features, binary; 2 epochs of batches of 16 (8 steps of SGD).
    logreg: {
      model: { zoo: 'logreg' },
      rows: 64,
      features: 13,
      classes: 2,
      train: { learningRate: 0.1, batchSize: 16 },
    },
    // The zoo's CNN (conv 5x5 32, pool, conv 5x5 64, pool, dense 512) on 8x8 images, 3 classes; 4 steps.
    cnn: {
      model: { zoo: 'cnn' },
      rows: 32,
      features: 64,
      classes: 3,
      imageShape: [8, 8, 1],
      train: { learningRate: 0.05, batchSize: 8, localSteps: 4 },
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: the weights after training agree with wasm's within ${TOLERANCE} relative`, async () => {
      const data = batch(c.rows, c.features, c.classes, 5);
      await initBackend('wasm');
      const start = buildModel(c.model, c.features, c.classes, 3, c.imageShape);
      const init = getFlatWeights(start).values;
      start.dispose();
      const onWasm = await trainOn('wasm', c, data, init);
      const onTf = await trainOn('tensorflow', c, data, init);
      expect(onTf.length).toBe(init.length);
      // Training moved the weights well beyond the tolerance, and both backends the same way.
      expect(relativeDifference(onWasm, init)).toBeGreaterThan(100 * TOLERANCE);
      expect(relativeDifference(onTf, onWasm)).toBeLessThan(TOLERANCE);
    });
  }

  it('accord simulate --backend tensorflow: 3 rounds, report.json names the backend at every site', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-tensorflow-'));
    const args = ['simulate', '--dataset', 'heart-disease', '--backend', 'tensorflow', '--rounds', '3', '--out', out];
    const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
      encoding: 'utf8',
      cwd: PACKAGE_ROOT,
      env: process.env,
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as {
      rounds: unknown[];
      backends: Record<string, string>;
      backendReasons: Record<string, string>;
    };
    expect(report.rounds).toHaveLength(3);
    expect(report.backends).toEqual({
      cleveland: 'tensorflow',
      hungary: 'tensorflow',
      switzerland: 'tensorflow',
      va: 'tensorflow',
    });
    for (const why of Object.values(report.backendReasons)) expect(why).toBe('requested');
    fs.rmSync(out, { recursive: true, force: true });
  });
});
