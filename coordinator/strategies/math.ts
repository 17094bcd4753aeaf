// Pure aggregation math: no I/O, no TF.js. Hot loops are plain typed-array loops.

/** acc[offset + i] += weight * slice[i] */
export function foldWeighted(acc: Float32Array, slice: Float32Array, offset: number, weight: number): void {
  const n = slice.length;
  for (let i = 0; i < n; i++) acc[offset + i] += weight * slice[i]!;
}

/** global + acc / totalWeight: the example-weighted mean delta applied to the global model. */
export function applyMeanDelta(global: Float32Array, acc: Float32Array, totalWeight: number): Float32Array {
  if (!(totalWeight > 0)) throw new RangeError(`total weight must be positive, got ${totalWeight}`);
  const out = new Float32Array(global.length);
  const inv = 1 / totalWeight;
  for (let i = 0; i < global.length; i++) out[i] = global[i]! + acc[i]! * inv;
  return out;
}

/** Example-weighted mean of each metric present in every entry with a finite value. */
export function weightedMetrics(entries: { examples: number; values: Record<string, number> }[]): Record<string, number> {
  const sums: Record<string, { s: number; w: number }> = {};
  for (const e of entries) {
    for (const [k, v] of Object.entries(e.values)) {
      if (!Number.isFinite(v) || !(e.examples > 0)) continue;
      const cur = (sums[k] ??= { s: 0, w: 0 });
      cur.s += v * e.examples;
      cur.w += e.examples;
    }
  }
  return Object.fromEntries(Object.entries(sums).map(([k, { s, w }]) => [k, s / w]));
}
