// Local training options: restricted softmax (FedRS) leaves the classes a site lacks untouched.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../shared/models/backend.js';
import { presentClasses, restrictToClasses } from '../../shared/models/loss.js';
import { trainLocal } from '../../shared/models/train.js';
import { buildModel } from '../../shared/models/zoo.js';
import { rng } from '../../shared/random.js';

const CLASSES = 5;
const DIM = 6;

/** 60 rows of classes 1 and 3 only, separable by the first feature. */
function twoClassSite() {
  const r = rng(3);
  const n = 60;
  const x = new Float32Array(n * DIM);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2 ? 1 : 3;
    for (let j = 0; j < DIM; j++) x[i * DIM + j] = r() - 0.5 + (j === 0 ? (y[i] === 1 ? 1 : -1) : 0);
  }
  return { x, y, n };
}

/** The output layer's kernel columns and bias entries of one class. */
function outputOf(model: tf.LayersModel, c: number): number[] {
  const [kernel, bias] = model.layers[model.layers.length - 1]!.getWeights();
  const k = kernel!.arraySync() as number[][];
  return [...k.map((row) => row[c]!), (bias!.arraySync() as number[])[c]!];
}

describe('restricted softmax (FedRS)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('renormalises probabilities over the present classes', () => {
    expect(Array.from(presentClasses([1, 3, 3], 5))).toEqual([0, 1, 0, 1, 0]);
    const p = restrictToClasses(tf.tensor2d([[0.1, 0.2, 0.3, 0.2, 0.2]]), tf.tensor1d([0, 1, 0, 1, 0]));
    const got = p.arraySync() as number[][];
    expect(got[0]![1]).toBeCloseTo(0.5, 6);
    expect(got[0]![3]).toBeCloseTo(0.5, 6);
    expect(got[0]![0]).toBe(0);
  });

  it("a site with two of five classes leaves the other classes' outputs untouched; plain training pushes them down", async () => {
    const data = twoClassSite();
    const train = { epochs: 5, batchSize: 10, learningRate: 0.1, optimizer: 'sgd' as const, proximalMu: 0 };
    const plain = buildModel({ zoo: '2nn' }, DIM, CLASSES, 7);
    const restricted = buildModel({ zoo: '2nn' }, DIM, CLASSES, 7);
    const before = [0, 2, 4].map((c) => outputOf(plain, c));
    await trainLocal(plain, data, { ...train, restrictedSoftmax: false }, CLASSES, 1);
    const r = await trainLocal(restricted, data, { ...train, restrictedSoftmax: true }, CLASSES, 1);
    expect(r.loss).toBeLessThan(0.5); // it still learns to tell 1 from 3
    [0, 2, 4].forEach((c, i) => {
      // Zero in exact arithmetic; float32 leaves rounding of order 1e-9.
      outputOf(restricted, c).forEach((w, j) => {
        expect(Math.abs(w - before[i]![j]!)).toBeLessThan(1e-6);
      });
      // Without it, the absent classes' biases fall.
      expect(outputOf(plain, c).at(-1)!).toBeLessThan(before[i]!.at(-1)! - 0.05);
    });
  });
});
