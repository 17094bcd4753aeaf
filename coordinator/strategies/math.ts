// Pure aggregation math: no I/O, no TF.js. Hot loops are plain typed-array loops.

/** acc[offset + i] += weight * slice[i] */
export function foldWeighted(acc: Float32Array, slice: Float32Array, offset: number, weight: number): void {
  const n = slice.length;
  for (let i = 0; i < n; i++) acc[offset + i]! += weight * slice[i]!;
}

/** acc / totalWeight: the example-weighted mean delta. */
export function meanDelta(acc: Float32Array, totalWeight: number): Float32Array {
  if (!(totalWeight > 0)) throw new RangeError(`total weight must be positive, got ${totalWeight}`);
  const out = new Float32Array(acc.length);
  const inv = 1 / totalWeight;
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! * inv;
  return out;
}

/** Server momentum (FedAvgM, Hsu et al. 2019): m = beta m + delta; x + lr m. Updates m in place. */
export function momentumStep(
  x: Float32Array,
  delta: Float32Array,
  m: Float32Array,
  lr: number,
  beta: number,
): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    m[i] = beta * m[i]! + delta[i]!;
    out[i] = x[i]! + lr * m[i]!;
  }
  return out;
}

export interface AdaptiveParams {
  eta: number;
  beta1: number;
  beta2: number;
  tau: number;
}

/**
 * Adaptive server optimisers (Reddi et al. 2021, Algorithm 2), no bias correction:
 * m = b1 m + (1 - b1) d;
 * v = v + d^2 (Adagrad) | b2 v + (1 - b2) d^2 (Adam) | v - (1 - b2) d^2 sign(v - d^2) (Yogi);
 * x + eta m / (sqrt(v) + tau). Updates m and v in place.
 */
export function adaptiveStep(
  x: Float32Array,
  delta: Float32Array,
  m: Float32Array,
  v: Float32Array,
  p: AdaptiveParams,
  kind: 'adagrad' | 'adam' | 'yogi',
): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = delta[i]!;
    const d2 = d * d;
    m[i] = p.beta1 * m[i]! + (1 - p.beta1) * d;
    if (kind === 'adagrad') v[i] = v[i]! + d2;
    else if (kind === 'adam') v[i] = p.beta2 * v[i]! + (1 - p.beta2) * d2;
    else v[i] = v[i]! - (1 - p.beta2) * d2 * Math.sign(v[i]! - d2);
    out[i] = x[i]! + (p.eta * m[i]!) / (Math.sqrt(v[i]!) + p.tau);
  }
  return out;
}

/** Example-weighted mean of each metric present in every entry with a finite value. */
export function weightedMetrics(
  entries: { examples: number; values: Record<string, number> }[],
): Record<string, number> {
  const sums: Record<string, { s: number; w: number }> = {};
  for (const e of entries) {
    for (const [k, v] of Object.entries(e.values)) {
      if (!Number.isFinite(v) || !(e.examples > 0)) continue;
      sums[k] ??= { s: 0, w: 0 };
      const cur = sums[k];
      cur.s += v * e.examples;
      cur.w += e.examples;
    }
  }
  return Object.fromEntries(Object.entries(sums).map(([k, { s, w }]) => [k, s / w]));
}
