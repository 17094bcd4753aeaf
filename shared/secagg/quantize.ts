// Quantisation for secure aggregation: clip to [-range, range], stochastic rounding to L levels, as
// uint32. L is chosen so that the sum of n clients' values (each at most L) cannot wrap mod 2^32.

export const MOD = 2 ** 32;

/** Levels per client so that n clients' sum stays below 2^32; `bits` caps it at 2^bits - 1. */
export function levelsFor(clients: number, bits = 32): number {
  if (!Number.isInteger(clients) || clients < 1)
    throw new RangeError(`clients must be a positive integer, got ${clients}`);
  const fit = Math.floor((MOD - 1) / clients);
  const cap = 2 ** Math.min(32, bits) - 1;
  const levels = Math.min(fit, cap);
  if (levels < 2) throw new RangeError(`${bits} bits cannot hold the sum of ${clients} clients`);
  return levels;
}

/**
 * Maps each value v in [-range, range] (clipped) to an integer in [0, levels] by unbiased stochastic
 * rounding of (v + range) / (2 range) * levels. `rand` returns uniform numbers in [0, 1).
 */
export function quantize(values: Float32Array, range: number, levels: number, rand: () => number): Uint32Array {
  if (!(range > 0)) throw new RangeError(`range must be positive, got ${range}`);
  const out = new Uint32Array(values.length);
  const scale = levels / (2 * range);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(range, Math.max(-range, values[i]!));
    const x = (v + range) * scale;
    const lo = Math.floor(x);
    out[i] = Math.min(levels, lo + (rand() < x - lo ? 1 : 0));
  }
  return out;
}

/** Turns the (unmasked) sum of `clients` quantised vectors back into the sum of their values. */
export function dequantizeSum(sum: Uint32Array, clients: number, range: number, levels: number): Float32Array {
  const out = new Float32Array(sum.length);
  const step = (2 * range) / levels;
  const offset = clients * range;
  for (let i = 0; i < sum.length; i++) out[i] = sum[i]! * step - offset;
  return out;
}
