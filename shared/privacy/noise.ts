// Gaussian noise from a cryptographic random source (the one Box-Muller sampler on node:crypto uniforms).
import crypto from 'node:crypto';
import { normal } from '../random';

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
 * Distributed noise under secure aggregation: each of `expected` clients adds N(0, total^2 / expected),
 * so the sum carries N(0, total^2) when all of them contribute. With only `contributed` of them the
 * sum's standard deviation is total * sqrt(contributed / expected): dropouts weaken the noise.
 */
export function perSiteNoiseStd(totalStd: number, expected: number): number {
  return totalStd / Math.sqrt(expected);
}

export function effectiveNoiseMultiplier(multiplier: number, contributed: number, expected: number): number {
  return multiplier * Math.sqrt(Math.min(1, contributed / expected));
}
