// scoreProbabilities (shared/models/train.ts) scores the probabilities an app computed in the sandbox with
// plain arithmetic: its loss, accuracy and AUC must be evaluateLocal's (TF.js) for the same model.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Examples } from '../../shared/data/features.js';
import { initBackend } from '../../shared/models/backend.js';
import { evaluateLocal, scoreProbabilities } from '../../shared/models/train.js';
import { rng } from '../../shared/random.js';

const FEATURES = 5;

/** `n` seeded rows: features uniform in [-1, 1], labels (2 or 3 classes) from a noisy linear rule. */
function seededData(n: number, classes: number, seed: number): Examples {
  const r = rng(seed);
  const x = new Float32Array(n * FEATURES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < FEATURES; j++) {
      const v = 2 * r() - 1;
      x[i * FEATURES + j] = v;
      s += (j + 1) * v;
    }
    s += r() - 0.5;
    // Three classes: s below -2, between, above 2 (s has a standard deviation of about 4.3).
    y[i] = classes === 2 ? (s > 0 ? 1 : 0) : s < -2 ? 0 : s < 2 ? 1 : 2;
  }
  return { x, y, n };
}

/** Two dense layers with seeded initial weights: 1 sigmoid output for binary labels, a softmax otherwise. */
function smallModel(classes: number, seed: number): tf.Sequential {
  const binary = classes === 2;
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 8,
        activation: 'relu',
        inputShape: [FEATURES],
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 1 }),
      }),
      tf.layers.dense({
        units: binary ? 1 : classes,
        activation: binary ? 'sigmoid' : 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      }),
    ],
  });
}

/** The model's probabilities for `data`, flattened row-major as an app returns them. */
function probabilities(model: tf.LayersModel, data: Examples): Float32Array {
  return tf.tidy(() => {
    const p = model.predict(tf.tensor2d(data.x, [data.n, FEATURES])) as tf.Tensor;
    return p.dataSync() as Float32Array;
  });
}

describe('scoreProbabilities equals evaluateLocal', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('for binary labels (one sigmoid output): loss, accuracy and AUC', async () => {
    for (const seed of [1, 2, 3]) {
      const data = seededData(97, 2, seed);
      const model = smallModel(2, 10 * seed);
      const probs = probabilities(model, data);
      expect(probs.length).toBe(data.n);
      const want = await evaluateLocal(model, data, 2);
      const got = scoreProbabilities(probs, data.y, 2);
      expect(want.auc).toBeDefined();
      expect(got.examples).toBe(data.n);
      expect(got.loss).toBeCloseTo(want.loss, 5);
      expect(got.accuracy).toBeCloseTo(want.accuracy, 5);
      expect(got.auc).toBeCloseTo(want.auc!, 5);
      // Not a trivial model: some rows right, some wrong.
      expect(got.accuracy).toBeGreaterThan(0);
      expect(got.accuracy).toBeLessThan(1);
      model.dispose();
    }
  });

  it('for three classes (softmax): loss and accuracy, no AUC', async () => {
    for (const seed of [4, 5, 6]) {
      const data = seededData(101, 3, seed);
      expect(new Set(data.y).size).toBe(3);
      const model = smallModel(3, 10 * seed);
      const probs = probabilities(model, data);
      expect(probs.length).toBe(3 * data.n);
      const want = await evaluateLocal(model, data, 3);
      const got = scoreProbabilities(probs, data.y, 3);
      expect(got.examples).toBe(data.n);
      expect(got.loss).toBeCloseTo(want.loss, 5);
      expect(got.accuracy).toBeCloseTo(want.accuracy, 5);
      expect(want.auc).toBeUndefined();
      expect(got.auc).toBeUndefined();
      expect(got.accuracy).toBeGreaterThan(0);
      expect(got.accuracy).toBeLessThan(1);
      model.dispose();
    }
  });
});

describe('scoreProbabilities by hand', () => {
  it('binary: four rows', () => {
    // p(class 1) = 0.9, 0.2, 0.6, 0.4 for labels 1, 0, 0, 1.
    // loss = -(ln 0.9 + ln 0.8 + ln 0.4 + ln 0.4) / 4 = 2.1610854 / 4 = 0.5402714
    // accuracy: rows 0 and 1 right (0.9 > 0.5, 0.2 <= 0.5), rows 2 and 3 wrong = 0.5
    // AUC: positives {0.9, 0.4} above negatives {0.2, 0.6} in 3 of 4 pairs = 0.75
    const r = scoreProbabilities(Float32Array.from([0.9, 0.2, 0.6, 0.4]), Int32Array.from([1, 0, 0, 1]), 2);
    expect(r.loss).toBeCloseTo(0.5402714, 6);
    expect(r.accuracy).toBe(0.5);
    expect(r.auc).toBeCloseTo(0.75, 10);
    expect(r.examples).toBe(4);
  });

  it('three classes: four rows', () => {
    // Rows (labels 0, 1, 1, 2): [0.7 0.2 0.1], [0.1 0.3 0.6], [0.2 0.5 0.3], [0.3 0.3 0.4].
    // loss = -(ln 0.7 + ln 0.3 + ln 0.5 + ln 0.4) / 4 = 3.1700856 / 4 = 0.7925214
    // accuracy: argmax 0, 2, 1, 2 against 0, 1, 1, 2 = 3 / 4
    const probs = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4]);
    const r = scoreProbabilities(probs, Int32Array.from([0, 1, 1, 2]), 3);
    expect(r.loss).toBeCloseTo(0.7925214, 6);
    expect(r.accuracy).toBe(0.75);
    expect(r.auc).toBeUndefined();
    expect(r.examples).toBe(4);
  });

  it('ties go to the first class; a 0.5 probability is class 0', () => {
    // [0.4 0.4 0.2] with label 1: argmax is class 0, so wrong.
    expect(scoreProbabilities(Float32Array.from([0.4, 0.4, 0.2]), Int32Array.from([1]), 3).accuracy).toBe(0);
    expect(scoreProbabilities(Float32Array.from([0.4, 0.4, 0.2]), Int32Array.from([0]), 3).accuracy).toBe(1);
    expect(scoreProbabilities(Float32Array.from([0.5]), Int32Array.from([0]), 2).accuracy).toBe(1);
    expect(scoreProbabilities(Float32Array.from([0.5]), Int32Array.from([1]), 2).accuracy).toBe(0);
  });

  it('clips probabilities of 0 and 1, as crossEntropy does', () => {
    // -ln(1e-7) = 16.1180957 for a certain, wrong answer; a certain right one costs about 1e-7.
    const wrong = scoreProbabilities(Float32Array.from([0, 1]), Int32Array.from([1, 0]), 2);
    expect(wrong.loss).toBeCloseTo(16.1180957, 5);
    expect(wrong.accuracy).toBe(0);
    expect(wrong.auc).toBe(0);
    // Rows [1 0 0], [0 1 0], [1 0 0] for labels 0, 1, 2: two certain right answers, one certain wrong one.
    const mixed = scoreProbabilities(Float32Array.from([1, 0, 0, 0, 1, 0, 1, 0, 0]), Int32Array.from([0, 1, 2]), 3);
    expect(mixed.loss).toBeCloseTo(16.1180957 / 3, 5);
    expect(mixed.accuracy).toBeCloseTo(2 / 3, 10);
  });

  it('leaves AUC out when one class is absent, and scores no rows as NaN', () => {
    const one = scoreProbabilities(Float32Array.from([0.2, 0.7]), Int32Array.from([1, 1]), 2);
    expect(one.auc).toBeUndefined();
    expect(one.accuracy).toBe(0.5);
    const none = scoreProbabilities(new Float32Array(0), new Int32Array(0), 2);
    expect(none.examples).toBe(0);
    expect(none.loss).toBeNaN();
    expect(none.accuracy).toBeNaN();
  });
});
