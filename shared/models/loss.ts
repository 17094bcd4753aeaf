// The loss of local training and evaluation: cross-entropy on probabilities, and the restricted softmax
// (FedRS) that renormalises over the classes a site holds.
import * as tf from '@tensorflow/tfjs';

export function targets(y: Int32Array, classes: number): tf.Tensor {
  return classes === 2
    ? tf.tensor2d(Float32Array.from(y), [y.length, 1])
    : tf.oneHot(tf.tensor1d(y, 'int32'), classes).toFloat();
}

/** Binary cross-entropy on probabilities, clipped so log(0) never appears. */
export function crossEntropy(pred: tf.Tensor, target: tf.Tensor, classes: number): tf.Scalar {
  const eps = 1e-7;
  const p = tf.clipByValue(pred, eps, 1 - eps);
  if (classes === 2) {
    return tf.neg(
      tf.mean(tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p))))),
    ) as tf.Scalar;
  }
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(p)), -1))) as tf.Scalar;
}

/**
 * Probabilities renormalised over the classes in `mask` (1 = present at this site): the softmax over
 * the present classes' logits, since softmax outputs share one normaliser.
 */
export function restrictToClasses(pred: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const kept = tf.mul(pred, mask);
  return tf.div(kept, tf.sum(kept, -1, true));
}

/** 1 for each class that occurs in y, 0 otherwise. */
export function presentClasses(y: ArrayLike<number>, classes: number): Float32Array {
  const mask = new Float32Array(classes);
  for (let i = 0; i < y.length; i++) mask[y[i]!] = 1;
  return mask;
}
