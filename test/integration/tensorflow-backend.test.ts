// The native TensorFlow backend (@tensorflow/tfjs-node, built offline by `npm run setup:tensorflow`):
// Accord's own training loop gives the same weights on it as on wasm, for the zoo's logistic regression,
// its CNN and FedRep's phases (only the head, then only the body, of an MLP), and `accord simulate
// --backend tensorflow` runs on it and says so in report.json, also with record-level DP (DP-SGD, whose
// noise is drawn fresh: its epsilon is checked) and with personalization. Skipped with the reason where
// tfjs-node cannot be required; under CI (.ci/run builds it) it runs and fails.
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
import { unflatten } from '../../shared/tensors/weights.js';
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
  /** The weight tensors that train (FedRep's phases); default all. */
  only?: number[];
}

/** Trains the case's model from `init` on `backend` with Accord's loop; its weights after. */
async function trainOn(backend: BackendName, c: Case, data: Examples, init?: Float32Array): Promise<Float32Array> {
  const b = await initBackend(backend);
  expect(b.backend).toBe(backend);
  expect(tf.getBackend()).toBe(backend);
  const model = buildModel(c.model, c.features, c.classes, 3, c.imageShape);
  if (init) setFlatWeights(model, { ...getFlatWeights(model), values: init });
  await trainLocal(model, data, { ...base, ...c.train }, c.classes, 11, c.only ? { only: c.only } : {});
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
    // FedRep's head phase, then its body phase: an MLP (16 hidden) whose output layer alone trains, then
    // whose hidden layer alone trains (personalization, shared/personalization/train.ts).
    'mlp head (FedRep)': {
      model: { zoo: 'mlp', hidden: [16] },
      rows: 64,
      features: 10,
      classes: 4,
      train: { learningRate: 0.1, batchSize: 16 },
      only: [2, 3],
    },
    'mlp body (FedRep)': {
      model: { zoo: 'mlp', hidden: [16] },
      rows: 64,
      features: 10,
      classes: 4,
      train: { learningRate: 0.1, batchSize: 16 },
      only: [0, 1],
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
      // Only the named tensors moved, on both backends.
      if (c.only) {
        const specs = getFlatWeights(buildModel(c.model, c.features, c.classes, 3)).specs;
        const before = unflatten({ specs, values: init });
        const moved = (w: Float32Array) =>
          unflatten({ specs, values: w }).flatMap((t, k) => (t.some((v, n) => v !== before[k]![n]) ? [k] : []));
        expect(moved(onWasm)).toEqual(c.only);
        expect(moved(onTf)).toEqual(c.only);
      }
    });
  }

  /** `accord simulate ... --backend tensorflow` with `extra` flags; its report.json. */
  function simulateOnTensorflow(extra: string[]): unknown {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-tensorflow-'));
    const args = ['simulate', '--dataset', 'heart-disease', '--backend', 'tensorflow', '--out', out, ...extra];
    const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
      encoding: 'utf8',
      cwd: PACKAGE_ROOT,
      env: process.env,
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report: unknown = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    fs.rmSync(out, { recursive: true, force: true });
    return report;
  }

  it('accord simulate --backend tensorflow: 3 rounds, report.json names the backend at every site', () => {
    const report = simulateOnTensorflow(['--rounds', '3']) as {
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
  });

  it('DP-SGD on tensorflow: each site trains under it and reports the epsilon its ledger accounts', () => {
    const report = simulateOnTensorflow(['--rounds', '1', '--dp-sgd-noise', '1.1', '--dp-sgd-clip', '1']) as {
      rounds: unknown[];
      backends: Record<string, string>;
      final: { siteRecordEpsilon: Record<string, number> };
    };
    expect(Object.values(report.backends)).toEqual(['tensorflow', 'tensorflow', 'tensorflow', 'tensorflow']);
    const eps = Object.values(report.final.siteRecordEpsilon);
    expect(eps).toHaveLength(4);
    for (const e of eps) expect(e).toBeGreaterThan(0);
  });

  it('personalization on tensorflow: FedRep gives every hospital its own model', () => {
    const report = simulateOnTensorflow(['--rounds', '3', '--personalize', 'fedrep']) as {
      backends: Record<string, string>;
      final: { personalization: { siteAccuracy: Record<string, number> } };
    };
    expect(new Set(Object.values(report.backends))).toEqual(new Set(['tensorflow']));
    const acc = Object.values(report.final.personalization.siteAccuracy);
    expect(acc).toHaveLength(4);
    for (const a of acc) expect(a).toBeGreaterThan(0.5);
  });
});
