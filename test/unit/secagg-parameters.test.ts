// SecAgg+ neighbours and threshold derived from stated corruption, dropout and security targets.
import { describe, expect, it } from 'vitest';
import { deriveSecAggParameters, logHypergeometricTail } from '../../shared/secagg/parameters.js';

const targets = { corruptFraction: 0.05, dropoutFraction: 0.1, securityBits: 40, correctnessBits: 20, colluding: 0 };

describe('SecAgg+ parameters', () => {
  it('the hypergeometric tail matches a direct count', () => {
    // 10 items, 4 marked, draw 3: P[X >= 2] = (C(4,2)C(6,1) + C(4,3)) / C(10,3) = 40/120.
    expect(Math.exp(logHypergeometricTail(10, 4, 3, 2))).toBeCloseTo(40 / 120, 12);
    expect(logHypergeometricTail(10, 1, 3, 2)).toBe(-Infinity);
  });

  it('meets both targets with k far below n, and t above half of k', () => {
    for (const n of [100, 1000, 100_000]) {
      const p = deriveSecAggParameters(n, targets);
      expect(p).toBeDefined();
      if (!p) continue;
      expect(p.privacyLog2).toBeLessThanOrEqual(-40);
      expect(p.correctnessLog2).toBeLessThanOrEqual(-20);
      expect(p.t).toBeGreaterThan(p.k / 2);
      expect(p.k).toBeLessThan(Math.max(60, n / 10));
    }
    // Stricter targets need bigger neighbourhoods; colluders raise the threshold.
    const base = deriveSecAggParameters(1000, targets)!;
    expect(deriveSecAggParameters(1000, { ...targets, corruptFraction: 0.2 })!.k).toBeGreaterThan(base.k);
    expect(deriveSecAggParameters(1000, { ...targets, securityBits: 80 })!.k).toBeGreaterThan(base.k);
    const colluding = deriveSecAggParameters(1000, { ...targets, colluding: 10 })!;
    expect(colluding.t).toBeGreaterThan((colluding.k + 10) / 2);
  });

  it('a small federation gets classic SecAgg (every other client)', () => {
    expect(deriveSecAggParameters(4, targets)).toMatchObject({ k: 3, t: 2 });
  });
});
