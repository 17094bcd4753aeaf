// Gaussian noise from a cryptographic random source (Box-Muller on node:crypto uniforms).
import crypto from 'node:crypto';

/** Adds N(0, std^2) to every element of v, in place. */
export function addGaussianNoise(v: Float32Array, std: number): void {
  if (!(std > 0)) return;
  const batch = 65536;
  const u = new Uint32Array(batch);
  let k = batch;
  const uniform = () => {
    if (k >= batch) {
      crypto.randomFillSync(u);
      k = 0;
    }
    return (u[k++]! + 1) / 4294967297; // (0, 1)
  };
  for (let i = 0; i < v.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const th = 2 * Math.PI * uniform();
    v[i] = v[i]! + std * r * Math.cos(th);
    if (i + 1 < v.length) v[i + 1] = v[i + 1]! + std * r * Math.sin(th);
  }
}

/**
 * Distributed noise under secure aggregation: each of `expected` clients adds N(0, total^2 / expected),
 * so the sum carries N(0, total^2) when all of them contribute. With only `contributed` of them the
 * sum's standard deviation is total * sqrt(contributed / expected): dropouts weaken the noise.
 */
export function perClientNoiseStd(totalStd: number, expected: number): number {
  return totalStd / Math.sqrt(expected);
}

export function effectiveNoiseMultiplier(multiplier: number, contributed: number, expected: number): number {
  return multiplier * Math.sqrt(Math.min(1, contributed / expected));
}
