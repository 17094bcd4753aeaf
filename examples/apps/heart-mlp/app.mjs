// An Accord app (docs/apps.md): a small MLP for tabular data with its own preprocessing, loss and
// metrics. `model` runs where the experiment is submitted; the other hooks run at each site, sandboxed.
// Every hook receives TF.js as `tf`: an app imports only node's built-ins and its own files.

/** One hidden layer of 16 ReLU units; a sigmoid for binary labels, a softmax otherwise. */
export function model(tf, shape) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, activation: 'relu', inputShape: [shape.inputSize] }),
      tf.layers.dense({ units: shape.outputUnits, activation: shape.outputUnits === 1 ? 'sigmoid' : 'softmax' }),
    ],
  });
}

/** Scaled features clipped to [-4, 4]: one extreme record does not dominate a batch. */
export function preprocess(tf, x) {
  return tf.clipByValue(x, -4, 4);
}

/** Cross-entropy with label smoothing (0.05): less over-confident at small sites. */
export function loss(tf, yTrue, yPred, shape) {
  const eps = 1e-7;
  const p = tf.clipByValue(yPred, eps, 1 - eps);
  if (shape.outputUnits === 1) {
    const y = tf.add(tf.mul(yTrue, 0.9), 0.05);
    return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))));
  }
  const y = tf.add(tf.mul(yTrue, 0.95), 0.05 / shape.classes);
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(p)), -1)));
}

/** Sensitivity and specificity at 0.5, for binary labels (Accord adds loss, accuracy and AUC). */
export function metrics(_tf, { labels, probabilities, shape }) {
  if (shape.outputUnits !== 1) return {};
  let tp = 0;
  let fn = 0;
  let tn = 0;
  let fp = 0;
  labels.forEach((y, i) => {
    const hit = probabilities[i] > 0.5;
    if (y === 1) hit ? tp++ : fn++;
    else hit ? fp++ : tn++;
  });
  return { sensitivity: tp / Math.max(1, tp + fn), specificity: tn / Math.max(1, tn + fp) };
}
