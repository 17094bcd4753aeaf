// The app interface: what a researcher's app.mjs may export. An app is a folder (code and small files)
// whose app.mjs exports `model` and, optionally, the other hooks below. `model` runs where the
// experiment is submitted or simulated (the submitter's own machine and code); the other hooks run at
// each site, in the site's sandbox (worker/sandbox), never in the worker's process. Every hook gets the
// TF.js module as its first argument: an app imports nothing but node's built-ins and its own files.
// docs/apps.md is the guide; `accord init` scaffolds an app written against this interface.
import type * as tf from '@tensorflow/tfjs';

/** What the data gives the model. */
export interface AppShape {
  /** Features per example (pixels for image data), after the site's data adapter. */
  inputSize: number;
  /** Label classes (2 for binary labels). */
  classes: number;
  /** Units of the output layer: 1 (sigmoid) for binary labels, else `classes` (softmax). */
  outputUnits: number;
  /** Height, width, channels for image data; inputs arrive flat, the model reshapes them. */
  imageShape?: [number, number, number];
}

/** A site's examples as the hooks see them. */
export interface AppData {
  /** [n, inputSize], float32, scaled as the experiment's data settings say. */
  x: tf.Tensor2D;
  /** Targets: [n, 1] zeros and ones for binary labels, one-hot [n, classes] otherwise. */
  y: tf.Tensor2D;
  /** Class index per example. */
  labels: Int32Array;
  n: number;
}

/** This round's local training settings (the experiment's `train` section, the strategy's per round). */
export interface AppTrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  /** Mini-batch updates to make instead of `epochs` passes, when the experiment says (train.localSteps). */
  localSteps?: number;
  /** FedProx's mu, or 0: the built-in loop adds mu/2 ||w - w_start||^2; an own loop should too. */
  proximalMu: number;
  /** Seed of this site and round: use it for shuffling, so a repeated task trains the same. */
  seed: number;
}

export interface AccordApp {
  /**
   * The model for `shape`, untrained: its topology travels to the sites by value; weights are set by
   * Accord (from the experiment's seed, then the global model), so initializers do not matter.
   */
  model(tfjs: typeof tf, shape: AppShape): tf.LayersModel;
  /**
   * Per-example preprocessing at the site, applied to training and test inputs alike before the model
   * sees them: [n, inputSize] in, the same shape out (scaling, clipping, imputing).
   */
  preprocess?(tfjs: typeof tf, x: tf.Tensor2D, shape: AppShape): tf.Tensor2D;
  /** The training loss (default: cross-entropy on the model's probabilities). */
  loss?(tfjs: typeof tf, yTrue: tf.Tensor2D, yPred: tf.Tensor, shape: AppShape): tf.Scalar;
  /**
   * Extra metrics of the model on the site's test rows, sent as `app.<name>` beside loss, accuracy
   * (and AUC), which Accord computes itself from the model's probabilities.
   */
  metrics?(
    tfjs: typeof tf,
    test: { labels: Int32Array; probabilities: Float32Array; shape: AppShape },
  ): Record<string, number>;
  /**
   * The local training step, replacing the built-in loop (seeded shuffling, mini-batches, `loss`,
   * FedProx's term). It trains `model` in place and returns the mean loss of its last epoch.
   */
  train?(
    tfjs: typeof tf,
    model: tf.LayersModel,
    data: AppData,
    settings: AppTrainSettings,
    shape: AppShape,
  ): Promise<{ loss: number }> | { loss: number };
}
