// Gaussian noise from a cryptographic random source (the one Box-Muller sampler on node:crypto uniforms).
import crypto from 'node:crypto';
import { normal } from '../random.js';

/** Uniform numbers in [0, 1) from node:crypto, drawn in batches: DP noise must not be predictable. */
function cryptoUniform(): () => number {
  const batch = 65536;
  const u = new Uint32Array(batch);
  let k = batch;
  return () => {
    if (k >= batch) {
      crypto.randomFillSync(u);
      k = 0;
    }
    return (u[k++] ?? 0) / 4294967296;
  };
}

/** Adds N(0, std^2) to every element of v, in place. */
export function addGaussianNoise(v: Float32Array, std: number): void {
  if (!(std > 0)) return;
  const uniform = cryptoUniform();
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) + std * normal(uniform);
}

/**
 * Distributed noise under secure aggregation, tolerating `colluding` sites that know (and can
 * subtract) their own shares: each of `expected` sites adds N(0, total^2 / (expected - colluding)), so
 * the shares of the other sites alone sum to N(0, total^2) when all of them contribute.
 */
export function perSiteNoiseStd(totalStd: number, expected: number, colluding = 0): number {
  const honest = expected - colluding;
  if (!(honest >= 1)) throw new RangeError(`${expected} sites cannot hide noise from ${colluding} colluding sites`);
  return totalStd / Math.sqrt(honest);
}

/**
 * The noise multiplier that reaches the sum when `contributed` of `expected` sites added their shares
 * and up to `colluding` of the contributors subtract theirs: z * sqrt((contributed - colluding) /
 * (expected - colluding)). Dropouts and colluders weaken the noise; 0 means none is left.
 */
export function effectiveNoiseMultiplier(
  multiplier: number,
  contributed: number,
  expected: number,
  colluding = 0,
): number {
  const honest = Math.max(0, Math.min(contributed, expected) - colluding);
  return multiplier * Math.sqrt(honest / Math.max(1, expected - colluding));
}
