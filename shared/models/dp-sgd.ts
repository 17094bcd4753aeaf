// Record-level differential privacy in local training: DP-SGD (Abadi et al. 2016). Each step samples
// every training row with probability q = batchSize / rows (Poisson, from node:crypto, so the sample is
// secret and amplification by subsampling applies), clips each sampled row's gradient to L2 norm C,
// adds N(0, (z C)^2) to their sum and divides by the expected batch q * rows. A site's privacy loss per
// round is `steps` compositions of the sampled Gaussian mechanism at (q, z) over its own rows.
import crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema.js';
import type { Examples } from '../data/features.js';
import { addGaussianNoise } from '../privacy/noise.js';
import { crossEntropy, presentClasses, restrictToClasses, targets } from './loss.js';
import { makeOptimizer, type TrainResult, trainedVariables } from './train.js';

export type DpSgdConfig = NonNullable<TrainConfig['dpSgd']>;

/** The sampling rate and number of steps of one round of local DP-SGD over `rows` rows. */
export function dpSgdSchedule(
  rows: number,
  cfg: Pick<TrainConfig, 'batchSize' | 'epochs'>,
): { q: number; steps: number } {
  if (rows === 0) return { q: 0, steps: 0 };
  return { q: Math.min(1, cfg.batchSize / rows), steps: cfg.epochs * Math.max(1, Math.round(rows / cfg.batchSize)) };
}

/** Poisson sample: each of `n` rows independently with probability q, from a cryptographic source. */
function poissonSample(n: number, q: number): number[] {
  const u = new Uint32Array(n);
  crypto.randomFillSync(u);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if ((u[i] ?? 0) / 4294967296 < q) out.push(i);
  return out;
}

/** Trains in place with DP-SGD; returns the mean per-row loss of the last epoch's sampled rows. */
export async function trainDpSgd(
  model: tf.LayersModel,
  data: Examples,
  cfg: TrainConfig,
  dp: DpSgdConfig,
  classes: number,
  /** The weight tensors that train (model.weights indices; train.ts TrainOptions.only). Default: all. */
  only?: readonly number[],
): Promise<TrainResult & { q: number; steps: number }> {
  const { q, steps } = dpSgdSchedule(data.n, cfg);
  const featureCount = data.n ? data.x.length / data.n : 0;
  const optimizer = makeOptimizer(cfg);
  const vars = trainedVariables(model, only);
  const mu = cfg.proximalMu;
  const anchor = mu > 0 ? vars.map((v) => v.clone()) : [];
  const restrict = cfg.restrictedSoftmax && classes > 2 ? tf.tensor1d(presentClasses(data.y, classes)) : undefined;
  const stepsPerEpoch = Math.max(1, Math.round(steps / Math.max(1, cfg.epochs)));
  let lossSum = 0;
  let lossRows = 0;
  for (let step = 0; step < steps; step++) {
    if (step % stepsPerEpoch === 0) {
      lossSum = 0;
      lossRows = 0;
    }
    const rows = poissonSample(data.n, q);
    // The clipped per-row gradients, summed, as plain arrays (one per trainable variable).
    const sums = vars.map((v) => new Float32Array(v.size));
    for (const r of rows) {
      const { value, grads } = tf.tidy(() => {
        const x = tf.tensor2d(data.x.subarray(r * featureCount, (r + 1) * featureCount), [1, featureCount]);
        const t = targets(data.y.subarray(r, r + 1), classes);
        return tf.variableGrads(() => {
          const pred = model.apply(x) as tf.Tensor;
          const loss = crossEntropy(restrict ? restrictToClasses(pred, restrict) : pred, t, classes);
          if (mu === 0) return loss;
          const prox = vars.map((v, i) => tf.sum(tf.square(tf.sub(v, anchor[i] ?? v))));
          return tf.add(loss, tf.mul(mu / 2, tf.addN(prox))) as tf.Scalar;
        }, vars);
      });
      const g = vars.map((v) => grads[v.name]?.dataSync() ?? new Float32Array(v.size));
      let norm2 = 0;
      for (const a of g) for (let i = 0; i < a.length; i++) norm2 += (a[i] ?? 0) ** 2;
      const factor = Math.min(1, dp.clip / Math.sqrt(norm2 || 1e-30));
      g.forEach((a, k) => {
        const s = sums[k];
        if (s) for (let i = 0; i < a.length; i++) s[i] = (s[i] ?? 0) + (a[i] ?? 0) * factor;
      });
      lossSum += value.dataSync()[0] ?? 0;
      lossRows++;
      value.dispose();
      for (const t of Object.values(grads)) t.dispose();
    }
    // Noise on the sum, then the mean over the expected batch (not the sampled one, which would leak its size).
    const expected = Math.max(1, q * data.n);
    const named: tf.NamedTensorMap = {};
    vars.forEach((v, k) => {
      const s = sums[k] ?? new Float32Array(v.size);
      addGaussianNoise(s, dp.noiseMultiplier * dp.clip);
      for (let i = 0; i < s.length; i++) s[i] = (s[i] ?? 0) / expected;
      named[v.name] = tf.tensor(s, v.shape);
    });
    optimizer.applyGradients(named);
    for (const t of Object.values(named)) t.dispose();
  }
  optimizer.dispose();
  for (const a of anchor) a.dispose();
  restrict?.dispose();
  return { loss: lossRows ? lossSum / lossRows : NaN, examples: data.n, epochs: cfg.epochs, q, steps };
}
