// The SIMD fold agrees with the plain loop (to float32 rounding) at every alignment, length and tail,
// and FedAvg's accumulator uses it.
import { describe, expect, it } from 'vitest';
import { WeightedSumAccumulator } from '../../coordinator/strategies/fedavg.js';
import { foldWeighted } from '../../coordinator/strategies/math.js';
import { simdAccumulator } from '../../shared/wasm/fold.js';

describe('WebAssembly SIMD fold', () => {
  it('matches acc[i] += w * x[i] for unaligned offsets, odd lengths and slices longer than its scratch', () => {
    const n = 600_007;
    const simd = simdAccumulator(n);
    expect(simd).not.toBeNull();
    const ref = new Float32Array(n);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const folds: [number, number, number][] = [
      [0, 1, 0.5],
      [1, 6, -2],
      [3, 300_003, 0.3],
      [5, n, 1.25], // longer than the 1 MiB scratch: several passes
      [n - 3, n, 7],
    ];
    for (const [s, e, w] of folds) {
      simd!.fold(x.subarray(s, e), s, w);
      foldWeighted(ref, x.subarray(s, e), s, w);
    }
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(simd!.sum[i]! - ref[i]!) / (1 + Math.abs(ref[i]!)));
    expect(worst).toBeLessThan(1e-6);
    // Nothing was written past the end or before the offsets: untouched values stay zero.
    const fresh = simdAccumulator(10)!;
    fresh.fold(Float32Array.of(1, 1, 1), 7, 2);
    expect([...fresh.sum]).toEqual([0, 0, 0, 0, 0, 0, 0, 2, 2, 2]);
  });

  it("is FedAvg's accumulator: the mean comes out of the SIMD sum", () => {
    const acc = new WeightedSumAccumulator(9);
    acc.fold(
      Float32Array.from({ length: 9 }, () => 1),
      0,
      3,
    );
    acc.addWeight(3);
    acc.fold(
      Float32Array.from({ length: 9 }, () => 5),
      0,
      1,
    );
    acc.addWeight(1);
    expect([...acc.sum].map((v) => v / acc.totalWeight)).toEqual(Array(9).fill(2));
  });
});
