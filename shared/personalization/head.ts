// Where a model's head is: the weight tensors a site keeps for itself under FedPer and FedRep, and
// the pure operations on flat weight vectors around them (take, put back, withhold from a delta).
// The site withholds the head by zeroing its part of the delta before anything else touches it, so
// clipping, noise, masking and the audit all see a delta in which the head is 0.
import type * as tf from '@tensorflow/tfjs';
import type { PersonalizationConfig } from '../config/schema.js';
import { ConfigError } from '../errors/index.js';
import { sizeOf, type TensorShape } from '../tensors/weights.js';

/** The head: indices into the model's weight tensors (model.weights order, all trainable). */
export interface Head {
  tensors: number[];
  /** Values in the head, all tensors together. */
  size: number;
}

/**
 * The head `head` of `model` (personalization.head): the weights of its last N layers with weights,
 * or the output layer's bias. The body must keep some weights: a head that is the whole model
 * would share nothing, and is refused with a ConfigError.
 */
export function headOf(model: tf.LayersModel, head: PersonalizationConfig['head']): Head {
  const weighted = model.layers.filter((l) => l.weights.length > 0);
  const all = model.weights;
  let chosen: tf.LayerVariable[];
  if (head === 'bias') {
    const bias = weighted.at(-1)?.weights.find((w) => /(^|\/)bias(_\d+)?$/.test(w.originalName ?? w.name));
    if (!bias) throw new ConfigError('personalization.head: bias: the output layer has no bias');
    chosen = [bias];
  } else {
    if (head >= weighted.length)
      throw new ConfigError(
        `personalization.head: ${head} layer(s) of a model with ${weighted.length} layer(s) with weights would keep all of it at the sites and share nothing: keep fewer layers, or head: bias (the output layer's bias)`,
      );
    chosen = weighted.slice(-head).flatMap((l) => l.weights);
  }
  const tensors = chosen.map((w) => all.indexOf(w)).sort((a, b) => a - b);
  if (tensors.some((i) => i < 0)) throw new Error('personalization: a head weight is not among the model weights');
  return { tensors, size: tensors.reduce((n, i) => n + sizeOf(all[i]!.shape as number[]), 0) };
}

/** [start, end) of each head tensor in the flat vector of `specs`. */
export function headRanges(specs: readonly TensorShape[], head: Head): [number, number][] {
  const offsets: number[] = [];
  let off = 0;
  for (const s of specs) {
    offsets.push(off);
    off += sizeOf(s.shape);
  }
  return head.tensors.map((i) => {
    const s = specs[i];
    if (!s) throw new Error(`personalization: head tensor ${i} is not in the model's ${specs.length}`);
    return [offsets[i]!, offsets[i]! + sizeOf(s.shape)];
  });
}

/** The head's values out of a flat weight vector (a copy). */
export function takeHead(values: Float32Array, specs: readonly TensorShape[], head: Head): Float32Array {
  const out = new Float32Array(head.size);
  let at = 0;
  for (const [a, b] of headRanges(specs, head)) {
    out.set(values.subarray(a, b), at);
    at += b - a;
  }
  return out;
}

/** Writes `headValues` (as takeHead gives them) into a flat weight vector, in place. */
export function putHead(
  values: Float32Array,
  specs: readonly TensorShape[],
  head: Head,
  headValues: Float32Array,
): void {
  if (headValues.length !== head.size)
    throw new Error(`personalization: a stored head of ${headValues.length} values, the model's has ${head.size}`);
  let at = 0;
  for (const [a, b] of headRanges(specs, head)) {
    values.set(headValues.subarray(at, at + b - a), a);
    at += b - a;
  }
}

/** Zeroes the head's part of a delta, in place: what the site keeps never leaves in any form. */
export function withholdHead(delta: Float32Array, specs: readonly TensorShape[], head: Head): void {
  for (const [a, b] of headRanges(specs, head)) delta.fill(0, a, b);
}

/** Whether every value of the head's part of `values` is 0 (what a site sends under FedPer/FedRep). */
export function headIsZero(values: Float32Array, specs: readonly TensorShape[], head: Head): boolean {
  return headRanges(specs, head).every(([a, b]) => values.subarray(a, b).every((v) => v === 0));
}
