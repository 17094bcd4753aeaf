// The app of a scaffolded project (`accord init`): app/app.mjs, written against shared/apps/interface.ts.
// One for tabular data (a small MLP) and one for images (a small convolutional network); each hook says
// what it does and where it runs, since the project's author edits this file first.

const HEADER = `// This project's app: the code an Accord experiment runs (experiment.yaml: model: { app: ./app }).
// Accord calls the hooks below; each gets TF.js as \`tf\` (an app imports only node's built-ins and
// its own files, never a package) and \`shape\`, what the data gives the model:
//   { inputSize, classes, outputUnits (1: a sigmoid for two classes, else classes: a softmax), imageShape? }
//
// Where each hook runs:
// - model: where the experiment is submitted or simulated (your machine). Its topology travels to the
//   sites by value; Accord sets the weights (from the experiment's seed, then the global model).
// - preprocess, loss, metrics, train: at each site, in the site's sandbox (no network, no files but the
//   app's and the data's), and only at a site whose policy lists this app's digest in apps.allow
//   (\`npx accord app digest app\` prints it). Editing any file of app/ changes the digest.
//
// Optional hooks not written here: loss(tf, yTrue, yPred, shape), the training loss (default: cross-
// entropy), and train(tf, model, data, settings, shape), a local training step of your own (default:
// Accord's loop, with seeded shuffling and FedProx's term).
`;

/** The tabular app: an MLP with clipping and sensitivity/specificity. */
export const TABULAR_APP = `${HEADER}
/**
 * model (runs where you submit or simulate): one hidden layer of 16 ReLU units, then a sigmoid for two
 * classes or a softmax for more. Inputs are the experiment's feature columns, scaled.
 */
export function model(tf, shape) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, activation: 'relu', inputShape: [shape.inputSize] }),
      tf.layers.dense({ units: shape.outputUnits, activation: shape.outputUnits === 1 ? 'sigmoid' : 'softmax' }),
    ],
  });
}

/**
 * preprocess (runs at each site, sandboxed): the site's scaled features, [n, inputSize], before the
 * model sees them, in training and in testing alike; it must return the same shape. Here each value
 * is clipped to [-4, 4], so one extreme record (a typo, an outlier) does not dominate a batch.
 */
export function preprocess(tf, x) {
  return tf.clipByValue(x, -4, 4);
}

/**
 * metrics (runs at each site, sandboxed): extra metrics of the model on the site's test rows, reported
 * as app.<name> beside the loss, accuracy and AUC that Accord computes itself. Here: sensitivity and
 * specificity at a 0.5 threshold, for two classes.
 */
export function metrics(tf, { labels, probabilities, shape }) {
  if (shape.outputUnits !== 1) return {};
  let tp = 0;
  let fn = 0;
  let tn = 0;
  let fp = 0;
  labels.forEach((y, i) => {
    const positive = probabilities[i] > 0.5;
    if (y === 1) positive ? tp++ : fn++;
    else positive ? fp++ : tn++;
  });
  return { sensitivity: tp / Math.max(1, tp + fn), specificity: tn / Math.max(1, tn + fp) };
}
`;

/** The image app: a small convolutional network with per-image brightness normalisation. */
export const IMAGE_APP = `${HEADER}
/**
 * model (runs where you submit or simulate): images arrive flat ([n, height * width * channels], pixels
 * scaled to [0, 1]); the model reshapes them to shape.imageShape, finds local patterns with 8 3x3
 * filters, keeps each filter's strongest response anywhere in the image, and classifies with a softmax
 * (a sigmoid for two classes).
 */
export function model(tf, shape) {
  return tf.sequential({
    layers: [
      tf.layers.reshape({ targetShape: shape.imageShape, inputShape: [shape.inputSize] }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.globalMaxPooling2d({}),
      tf.layers.dense({ units: shape.outputUnits, activation: shape.outputUnits === 1 ? 'sigmoid' : 'softmax' }),
    ],
  });
}

/**
 * preprocess (runs at each site, sandboxed): the site's images, [n, inputSize], before the model sees
 * them, in training and in testing alike; it must return the same shape. Scanners differ in brightness
 * from site to site, so each image is centred on its own mean: the model sees the pattern, not the
 * site's exposure.
 */
export function preprocess(tf, x) {
  return tf.sub(x, tf.mean(x, 1, true));
}

/**
 * metrics (runs at each site, sandboxed): extra metrics of the model on the site's test images,
 * reported as app.<name> beside the loss, accuracy and AUC that Accord computes itself. Here: the recall
 * of each class (its images the model gets right), recall_0, recall_1, ...
 */
export function metrics(tf, { labels, probabilities, shape }) {
  const k = shape.outputUnits;
  const hits = new Array(shape.classes).fill(0);
  const counts = new Array(shape.classes).fill(0);
  labels.forEach((y, i) => {
    let predicted;
    if (k === 1) predicted = probabilities[i] > 0.5 ? 1 : 0;
    else {
      const row = probabilities.subarray(i * k, (i + 1) * k);
      predicted = row.indexOf(Math.max(...row));
    }
    counts[y]++;
    if (predicted === y) hits[y]++;
  });
  return Object.fromEntries(counts.map((n, c) => [\`recall_\${c}\`, hits[c] / Math.max(1, n)]));
}
`;
