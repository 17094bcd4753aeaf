// The SIMD scan for NaN and infinity finds the same first bad value as the plain loop, wherever it
// sits: in a 4-value group, at a 1 MiB window's edge, in the tail, at any byte alignment.
import { describe, expect, it } from 'vitest';
import { firstNonFiniteBytes } from '../../shared/tensors/bytes.js';
import { firstNonFiniteSimd } from '../../shared/wasm/finite.js';

/** `n` float32 values of 1.5, little-endian, starting at an odd byte offset (as protobuf hands them over). */
function values(n: number): Buffer {
  const b = Buffer.alloc(4 * n + 1).subarray(1);
  for (let i = 0; i < n; i++) b.writeFloatLE(1.5, i * 4);
  return b;
}

describe('WebAssembly SIMD finiteness scan', () => {
  it('finds the first NaN or infinity wherever it is', () => {
    const n = 600_001; // more than two 1 MiB windows, and a tail that is not a whole group
    expect(firstNonFiniteSimd(values(n))).toBe(-1);
    for (const pos of [0, 3, 4, 5, 262_143, 262_144, 262_147, 524_286, n - 1]) {
      const b = values(n);
      b.writeFloatLE(pos % 2 ? Number.NaN : Number.NEGATIVE_INFINITY, pos * 4);
      if (pos + 7 < n) b.writeFloatLE(Number.NaN, (pos + 7) * 4); // a later one does not matter
      expect(firstNonFiniteSimd(b), `at ${pos}`).toBe(pos);
      expect(firstNonFiniteBytes(b), `at ${pos}`).toBe(pos);
    }
    // Largest finite values and -0 are finite.
    const edge = values(8);
    edge.writeFloatLE(3.4028234663852886e38, 0);
    edge.writeFloatLE(-3.4028234663852886e38, 4);
    edge.writeFloatLE(-0, 8);
    expect(firstNonFiniteSimd(edge)).toBe(-1);
  });
});
