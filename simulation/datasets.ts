// Data sets that ship with Accord for `accord simulate`: where their files are and the config that reads them.

import path from 'node:path';
import type { ExperimentInput, PersonalizationConfig } from '../shared/config/schema.js';
import { ConfigError } from '../shared/errors/index.js';
import { PACKAGE_ROOT } from '../shared/package-root.js';

export interface ShippedDataset {
  name: string;
  /** Natural split: site name -> file. */
  sites: Record<string, string>;
  /** Partitioned sets: one directory shared out among `--clients` logical sites by a partitioner. */
  partitioned?: {
    dir: string;
    defaultClients: number;
    defaultFraction: number;
    install: string;
    /** Each site generates its own rows (no files; `dir` is only a label). */
    generated?: boolean;
  };
  /** The data and model parts of an experiment config for this set. */
  experiment: ExperimentInput;
  /** Strategy settings tuned for this data set (over the papers' defaults), as FLamby tunes per data set. */
  strategyDefaults?: Record<string, Record<string, number>>;
  /** Personalization settings this data set's model needs (--personalize), under those given. */
  personalizationDefaults?: Partial<PersonalizationConfig>;
}

const HEART_DIR = path.join(PACKAGE_ROOT, 'data', 'heart-disease');

/** UCI Heart Disease's 14 columns, in the files' order. */
export const HEART_COLUMNS = [
  'age',
  'sex',
  'cp',
  'trestbps',
  'chol',
  'fbs',
  'restecg',
  'thalach',
  'exang',
  'oldpeak',
  'slope',
  'ca',
  'thal',
  'num',
] as const;

export const HEART_DISEASE = {
  name: 'heart-disease',
  sites: {
    cleveland: path.join(HEART_DIR, 'processed.cleveland.data'),
    hungary: path.join(HEART_DIR, 'processed.hungarian.data'),
    switzerland: path.join(HEART_DIR, 'processed.switzerland.data'),
    va: path.join(HEART_DIR, 'processed.va.data'),
  },
  experiment: {
    name: 'heart-disease',
    model: { zoo: 'logreg' },
    data: {
      format: 'csv',
      header: false,
      columns: [...HEART_COLUMNS],
      label: 'num',
      binarise: '> 0',
      zeroMeansMissing: ['chol'],
      // Global means and deviations summed from the sites' column sums: a value means the same at
      // every hospital, which lets the model see what differs between them.
      scaling: 'federated',
      // Plausible values of each feature (examples/heart-disease.yaml has the same): each site clamps
      // to them before summing, and column statistics no values within them could give are refused,
      // which bounds what one lying site can do to the global means and deviations. Every shipped value
      // fits; trestbps starts at 0 for the one VA row that records a blood pressure of 0 (unrecorded).
      ranges: {
        age: [18, 100],
        sex: [0, 1],
        cp: [1, 4],
        trestbps: [0, 250],
        chol: [50, 700],
        fbs: [0, 1],
        restecg: [0, 2],
        thalach: [40, 250],
        exang: [0, 1],
        oldpeak: [-5, 10],
        slope: [1, 3],
        ca: [0, 3],
        thal: [3, 7],
      },
      testFraction: 0.33,
      splitSeed: 42,
    },
    // Full-batch local gradient descent: each centre has at most ~200 training rows, so one batch
    // per epoch is cheap and removes SGD noise. 10 local steps per round at lr 0.3 converge in 20 rounds
    // and keep each round's step small enough that a round missing one site (a dropout) barely moves the result.
    train: { epochs: 10, batchSize: 1024, learningRate: 0.3, optimizer: 'sgd' },
  },
  // Grid eta in {0.03, 0.1, 0.3} x tau in {1e-3, 1e-2, 1e-1}, 20 rounds, seed 1 (docs/strategies.md).
  strategyDefaults: { fedadam: { eta: 0.03, tau: 1e-2 } },
  // Logistic regression has one layer: FedPer and FedRep keep its bias, each hospital's own intercept
  // (its own base rate), and share the feature weights.
  personalizationDefaults: { head: 'bias' },
} satisfies ShippedDataset;

/**
 * Heart disease as FLamby's Fed-Heart-Disease benchmark prepares and trains it (docs/flamby.md):
 * `--dataset heart-disease --preprocessing flamby`. FLamby's rows, fixed split and per-centre scaling
 * (data.preprocessing: flamby, shared/data/flamby.ts), its 13 inputs (slope, ca and thal dropped; cp and
 * restecg one-hot without their first category), and its FedAvg: SGD at lr 0.001 in batches of 4, 15
 * rounds (flamby/datasets/fed_heart_disease/common.py, flamby/config_heart_disease.json).
 */
export const HEART_DISEASE_FLAMBY = {
  name: 'heart-disease-flamby',
  sites: HEART_DISEASE.sites,
  experiment: {
    name: 'heart-disease-flamby',
    // nn.Linear(13, 1) + sigmoid, initialised as PyTorch does (flamby/datasets/fed_heart_disease/model.py).
    model: { zoo: 'logreg', init: 'pytorch' },
    // get_nb_max_rounds(100) = (486 // 4 // 4) * 50 // 100.
    rounds: 15,
    data: {
      format: 'csv',
      header: false,
      columns: HEART_DISEASE.experiment.data.columns,
      label: 'num',
      binarise: '> 0',
      drop: ['slope', 'ca', 'thal'],
      categorical: { cp: [2, 3, 4], restecg: [1, 2] },
      preprocessing: 'flamby',
    },
    // FLamby trains 100 mini-batches of 4 per centre per round (num_updates), 6,000 in all over 15 rounds
    // (the updates of 50 pooled epochs: get_nb_max_rounds): train.localSteps.
    train: { epochs: 1, localSteps: 100, batchSize: 4, learningRate: 0.001, optimizer: 'sgd' },
    // FLamby averages by training rows and bounds no update.
    clients: { normBoundMultiple: 0, maxWeightShare: 1 },
  },
  // flamby/config_heart_disease.json (each strategy's client learning rate is there too: --lr).
  strategyDefaults: {
    fedprox: { mu: 0.01 },
    fedadam: { eta: 0.01, beta1: 0.9, beta2: 0.999, tau: 1e-8 },
    fedyogi: { eta: 0.01, beta1: 0.9, beta2: 0.999, tau: 1e-8 },
    fedadagrad: { eta: 0.316228, beta1: 0.9, tau: 1e-8 },
  },
} satisfies ShippedDataset;

/** FLamby's client learning rate of each strategy (flamby/config_heart_disease.json). */
export const FLAMBY_CLIENT_LR: Record<string, number> = {
  fedavg: 0.001,
  fedprox: 0.001,
  fedadam: 0.01,
  fedyogi: 0.003162,
  fedadagrad: 0.003162,
};

/** The shipped data sets that have another preprocessing, by data set and preprocessing name. */
const PREPROCESSED: Record<string, Record<string, string>> = { 'heart-disease': { flamby: 'heart-disease-flamby' } };

/** The data set `--dataset NAME --preprocessing P` runs. */
export function preprocessedDataset(name: string, preprocessing: string): string {
  const variant = PREPROCESSED[name]?.[preprocessing];
  if (!variant) {
    const known = Object.entries(PREPROCESSED).flatMap(([d, ps]) => Object.keys(ps).map((p) => `${d}: ${p}`));
    throw new ConfigError(
      `--preprocessing ${preprocessing}: not available for ${name} (available: ${known.join('; ')})`,
    );
  }
  return variant;
}

/** Fashion-MNIST (Xiao et al. 2017, MIT), from the Debian package dataset-fashion-mnist. */
export const FASHION_MNIST_DIR = process.env['ACCORD_FASHION_MNIST'] ?? '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST: ShippedDataset = {
  name: 'fashion-mnist',
  sites: {},
  partitioned: {
    dir: FASHION_MNIST_DIR,
    defaultClients: 100,
    defaultFraction: 0.1,
    install:
      'sudo apt-get install dataset-fashion-mnist (or set ACCORD_FASHION_MNIST to a directory with the four IDX files)',
  },
  experiment: {
    name: 'fashion-mnist',
    model: { zoo: '2nn' },
    data: { format: 'idx', classes: 10, imageShape: [28, 28, 1], testFraction: 0.1, splitSeed: 42 },
    // McMahan et al. 2017: E = 5 local epochs, B = 10.
    // The learning rate is ours: 0.02 climbed steadily on the shards split where 0.05 oscillated.
    // Restricted softmax (FedRS): on the two-class shards, plain local training pushes the other eight
    // classes down and a round whose sampled sites miss classes forgets them (the curve dips); with it
    // the curve climbs. A site holding every class (IID) trains exactly as without it.
    // `--no-restricted-softmax` gives the paper's plain loss (bench:fedavg reproduces the paper with it).
    train: { epochs: 5, batchSize: 10, learningRate: 0.02, optimizer: 'sgd', restrictedSoftmax: true },
    // The coordinator scores every round on the 10,000 held-out test images.
    eval: { every: 1, central: FASHION_MNIST_DIR },
  },
};

/**
 * Synthetic(alpha, beta) (Li et al. 2020, FedProx; LEAF): any number of sites, each generating its own
 * rows from the seed and its index, for cross-device scale (100,000 sites).
 */
export const SYNTHETIC: ShippedDataset = {
  name: 'synthetic',
  sites: {},
  partitioned: { dir: 'synthetic', generated: true, defaultClients: 1000, defaultFraction: 0.1, install: '' },
  experiment: {
    name: 'synthetic',
    model: { zoo: 'logreg' },
    data: { format: 'synthetic', dimensions: 60, classes: 10, testFraction: 0.2, splitSeed: 42 },
    // One local epoch in batches of 50: cheap enough for 10,000 sites a round on two cores.
    train: { epochs: 1, batchSize: 50, learningRate: 0.05, optimizer: 'sgd' },
  },
};

export const DATASETS: Record<string, ShippedDataset> = {
  'heart-disease': HEART_DISEASE,
  'heart-disease-flamby': HEART_DISEASE_FLAMBY,
  'fashion-mnist': FASHION_MNIST,
  synthetic: SYNTHETIC,
};

export function getDataset(name: string): ShippedDataset {
  const d = DATASETS[name];
  if (!d) throw new ConfigError(`--dataset: unknown data set "${name}" (known: ${Object.keys(DATASETS).join(', ')})`);
  return d;
}
