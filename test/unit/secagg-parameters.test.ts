// SecAgg+ neighbours and threshold derived from stated corruption, dropout and security targets.
import { describe, expect, it } from 'vitest';
import { thresholdFor } from '../../shared/secagg/graph.js';
import {
  corruptNeighbourBound,
  deriveSecAggParameters,
  logHypergeometricTail,
  roundGraph,
  splitViewBound,
} from '../../shared/secagg/parameters.js';

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

  it('t outvotes the corrupt neighbours the stated fraction implies, so no split view succeeds', () => {
    // A split view shows two disjoint groups of a victim's honest neighbours different survivor sets;
    // its c corrupt neighbours sign both. Each group reaches t only if (k - c) + 2c >= 2t, i.e. t <= (k + c)/2.
    for (const n of [10, 40, 100, 1000, 100_000]) {
      const p = deriveSecAggParameters(n, targets)!;
      const c = corruptNeighbourBound(n - 1, p.corrupt, p.k, Math.log2(n), 40);
      expect(2 * p.t, `n = ${n}: k ${p.k}, t ${p.t}, c ${c}`).toBeGreaterThan(p.k + c);
    }
    // The case: n = 40 under the defaults used to give t = k/2 + 1, so two corrupt neighbours
    // (probability 0.31 at n = 100) were enough for a two-arc split view. Now 2 corrupt are outvoted.
    const p = deriveSecAggParameters(40, targets)!;
    expect(p.corrupt).toBe(2);
    expect(2 * p.t).toBeGreaterThan(p.k + 2);
  });

  it('a configured threshold that does not outvote the corrupt neighbours it assumes is caught (sites refuse it)', () => {
    const sa = {
      mode: 'secaggplus' as const,
      corruptFraction: 0.05,
      dropoutFraction: 0.1,
      securityBits: 40,
      colludingSites: 2,
    };
    // 0.55 of 12 neighbours is 7: the config's own check (counts only) lets it through.
    const g = roundGraph({ ...sa, neighbours: 12, threshold: 0.55 }, 40);
    expect(g).toMatchObject({ degree: 12, threshold: 0.55, derived: false });
    const t = thresholdFor(12, g.threshold);
    expect(t).toBe(7);
    expect(2 * t).toBeLessThanOrEqual(12 + splitViewBound({ ...sa, neighbours: 12, threshold: 0.55 }, 40, 12));
    // The derived parameters always pass the same test.
    for (const n of [10, 40, 100, 1000]) {
      const d = roundGraph({ ...sa, colludingSites: 0 }, n);
      const k = d.degree === 'all' ? n - 1 : d.degree;
      expect(2 * thresholdFor(k, d.threshold)).toBeGreaterThan(k + splitViewBound({ ...sa, colludingSites: 0 }, n, k));
    }
  });

  it('a small federation: privacy first, so 4 sites at 5% corrupt need every neighbour (t = k)', () => {
    const defaults = {
      mode: 'secaggplus' as const,
      corruptFraction: 0.05,
      dropoutFraction: 0.1,
      securityBits: 40,
      colludingSites: 0,
    };
    // No k meets both targets for 4 clients: ceil(5% of 3) = 1 corrupt neighbour must be outvoted.
    expect(deriveSecAggParameters(4, targets)).toBeUndefined();
    expect(roundGraph(defaults, 4)).toMatchObject({ degree: 3, threshold: 3, derived: false });
    // Stating that no site is corrupt buys dropout tolerance back (t = 2 of 3).
    expect(roundGraph({ ...defaults, corruptFraction: 0 }, 4)).toMatchObject({ degree: 'all', threshold: 2 });
    // Classic SecAgg over 10 sites: 1 corrupt assumed, so t > (9 + 1) / 2.
    expect(roundGraph({ ...defaults, mode: 'secagg' }, 10)).toMatchObject({ degree: 'all', threshold: 6 });
  });
});
