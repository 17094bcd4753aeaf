// Local training and evaluation with TF.js. The same functions train the simulation's baselines,
// so federated and baseline numbers come from one code path.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema.js';
import type { Examples } from '../data/features.js';
import { rng, shuffleInPlace } from '../random.js';
import { type ScoreHistogram, scoreHistogram } from '../stats/score-histogram.js';
import { type FlatWeights, unflatten } from '../tensors/weights.js';
import { crossEntropy, presentClasses, restrictToClasses, targets } from './loss.js';

export interface TrainResult {
  /** Mean training loss over the last epoch. */
  loss: number;
  examples: number;
  epochs: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  examples: number;
  /** Area under the ROC curve, for binary labels. */
  auc?: number;
  /** An app's own metrics (app.<name>), sent beside these. */
  extra?: Record<string, number>;
  /** Test rows predicted right (accuracy x examples, as a count the coordinator can sum over sites). */
  correct?: number;
  /** For binary labels: the scores as histograms by label (shared/stats/score-histogram.ts). */
  scoreHistogram?: ScoreHistogram;
}

/** ROC AUC by ranks (Mann-Whitney U), ties averaged; NaN when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const rank = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) rank[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let sumPos = 0;
  for (let i = 0; i < n; i++)
    if (labels[i] === 1) {
      pos++;
      sumPos += rank[i]!;
    }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function makeOptimizer(cfg: TrainConfig): tf.Optimizer {
  return cfg.optimizer === 'adam' ? tf.train.adam(cfg.learningRate) : tf.train.sgd(cfg.learningRate);
}

export interface TrainOptions {
  /**
   * The weights the proximal term (cfg.proximalMu) pulls toward, as the model's flat weights. Default:
   * those training starts from (FedProx). Ditto's personal model is pulled toward the global model.
   */
  anchor?: FlatWeights;
  /**
   * The weight tensors that train (indices into model.weights); the others stay as they are. Default:
   * all. (FedRep trains head and body in turn. TF.js's own trainable flags are reset when a Sequential
   * model is applied, so the list goes to the optimizer instead.)
   */
  only?: readonly number[];
}

/** The variables that train: `only`'s, or all the model's trainable ones. */
export function trainedVariables(model: tf.LayersModel, only?: readonly number[]): tf.Variable[] {
  const weights = only ? only.map((i) => model.weights[i]!) : model.trainableWeights;
  return weights.map((w) => w.read() as tf.Variable);
}

/**
 * Trains in place for cfg.epochs epochs (or cfg.localSteps updates) with seeded shuffling, mini-batches
 * of cfg.batchSize. Returns the mean loss of the last epoch (of every update, with localSteps). Only
 * trainable weights move (personalization freezes some: shared/personalization/).
 */
export async function trainLocal(
  model: tf.LayersModel,
  data: Examples,
  cfg: TrainConfig,
  classes: number,
  seed: number,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const featureCount = data.n ? data.x.length / data.n : 0;
  const optimizer = makeOptimizer(cfg);
  const rand = rng(seed);
  const order = Array.from({ length: data.n }, (_, i) => i);
  // FedProx: mu/2 ||w - w_global||^2 keeps local training near the global model it started from.
  const mu = cfg.proximalMu ?? 0;
  const vars = trainedVariables(model, opts.only);
  const anchor = mu > 0 ? anchorOf(model, vars, opts.anchor) : [];
  const restrict = cfg.restrictedSoftmax && classes > 2 ? tf.tensor1d(presentClasses(data.y, classes)) : undefined;
  let lastLoss = NaN;
  // With localSteps, passes go on until that many updates are made (the loss is their mean).
  const steps = cfg.localSteps;
  let made = 0;
  let stepSum = 0;
  let stepRows = 0;
  const passes = steps ? Number.POSITIVE_INFINITY : cfg.epochs;
  for (let epoch = 0; epoch < passes && !(steps && made >= steps) && data.n > 0; epoch++) {
    shuffleInPlace(order, rand);
    let sum = 0;
    for (let start = 0; start < data.n && !(steps && made >= steps); start += cfg.batchSize) {
      const idx = order.slice(start, start + cfg.batchSize);
      const xb = new Float32Array(idx.length * featureCount);
      const yb = new Int32Array(idx.length);
      idx.forEach((r, k) => {
        xb.set(data.x.subarray(r * featureCount, (r + 1) * featureCount), k * featureCount);
        yb[k] = data.y[r]!;
      });
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(xb, [idx.length, featureCount]);
        const t = targets(yb, classes);
        return optimizer.minimize(
          () => {
            const pred = model.apply(x) as tf.Tensor;
            const loss = crossEntropy(restrict ? restrictToClasses(pred, restrict) : pred, t, classes);
            if (mu === 0) return loss;
            const prox = vars.map((v, i) => tf.sum(tf.square(tf.sub(v, anchor[i]!))));
            return tf.add(loss, tf.mul(mu / 2, tf.addN(prox))) as tf.Scalar;
          },
          true,
          vars,
        ) as tf.Scalar;
      });
      const batchLoss = (await loss.data())[0]! * idx.length;
      sum += batchLoss;
      stepSum += batchLoss;
      stepRows += idx.length;
      made++;
      loss.dispose();
    }
    lastLoss = steps ? stepSum / stepRows : data.n ? sum / data.n : NaN;
  }
  optimizer.dispose();
  for (const a of anchor) a.dispose();
  restrict?.dispose();
  return { loss: lastLoss, examples: data.n, epochs: cfg.epochs };
}

/** The proximal anchor of each trained variable: `flat`'s part for it, or its value now. */
function anchorOf(model: tf.LayersModel, vars: tf.Variable[], flat: FlatWeights | undefined): tf.Tensor[] {
  if (!flat) return vars.map((v) => v.clone());
  const parts = unflatten(flat);
  const all = model.weights.map((w) => w.read());
  return vars.map((v) => {
    const i = all.indexOf(v);
    if (i < 0 || !parts[i]) throw new Error(`proximal anchor: no weights for ${v.name}`);
    return tf.tensor(parts[i], v.shape);
  });
}

/**
 * Loss (clipped cross-entropy, as crossEntropy), accuracy and, for binary labels, AUC of class
 * probabilities `probs` ([n] for binary labels, [n, classes] otherwise) against `labels`. Plain
 * arithmetic: it scores probabilities an app computed in the sandbox (worker/apps/run-app.ts).
 */
export function scoreProbabilities(probs: Float32Array, labels: Int32Array, classes: number): EvalResult {
  const n = labels.length;
  if (n === 0) return { loss: NaN, accuracy: NaN, examples: 0 };
  const eps = 1e-7;
  const clip = (p: number) => Math.min(1 - eps, Math.max(eps, p));
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (classes === 2) {
      const p = probs[i]!;
      loss -= y === 1 ? Math.log(clip(p)) : Math.log(1 - clip(p));
      if ((p > 0.5 ? 1 : 0) === y) correct++;
    } else {
      const row = probs.subarray(i * classes, (i + 1) * classes);
      loss -= Math.log(clip(row[y]!));
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      if (best === y) correct++;
    }
  }
  const out: EvalResult = { loss: loss / n, accuracy: correct / n, examples: n, correct };
  if (classes === 2) {
    const auc = rocAuc(probs, labels);
    if (Number.isFinite(auc)) out.auc = auc;
    out.scoreHistogram = scoreHistogram(probs, labels);
  }
  return out;
}

/** Examples per forward pass when scoring a model (memory, not results, depends on it). */
const EVAL_BATCH = 512;

export async function evaluateLocal(model: tf.LayersModel, data: Examples, classes: number): Promise<EvalResult> {
  if (data.n === 0) return { loss: NaN, accuracy: NaN, examples: 0 };
  const featureCount = data.x.length / data.n;
  const [loss, acc, hits, probs] = tf.tidy(() => {
    const x = tf.tensor2d(data.x, [data.n, featureCount]);
    const t = targets(data.y, classes);
    // Layers' predict defaults to batches of 32: on the wasm backend the per-batch overhead made
    // scoring the 10,000 Fashion-MNIST test images take 6 s for logistic regression (0.15 s in 512s).
    const p = model.predict(x, { batchSize: EVAL_BATCH }) as tf.Tensor;
    const predicted = classes === 2 ? tf.greater(p, 0.5).toFloat() : tf.oneHot(tf.argMax(p, -1), classes).toFloat();
    const right = classes === 2 ? tf.equal(predicted, t).toFloat() : tf.sum(tf.mul(predicted, t), -1);
    const correct = tf.mean(right);
    return [crossEntropy(p, t, classes), correct, tf.sum(right), classes === 2 ? p.flatten() : tf.zeros([0])];
  });
  const out: EvalResult = {
    loss: (await loss.data())[0]!,
    accuracy: (await acc.data())[0]!,
    examples: data.n,
    // A float32 sum of 0s and 1s: exact up to 2^24 rows.
    correct: Math.round((await hits.data())[0]!),
  };
  if (classes === 2) {
    const scores = await probs.data();
    const auc = rocAuc(scores, data.y);
    if (Number.isFinite(auc)) out.auc = auc;
    out.scoreHistogram = scoreHistogram(scores, data.y);
  }
  loss.dispose();
  acc.dispose();
  hits.dispose();
  probs.dispose();
  return out;
}
