// Synthetic(alpha, beta): reproducible from (seed, index), LEAF's sizes, and heterogeneity that grows
// with alpha and beta.
import { describe, expect, it } from 'vitest';
import { loadSyntheticSite, SYNTHETIC_MAX_ROWS, syntheticRows, syntheticSite } from '../../shared/data/synthetic.js';

const spec = (index: number, alpha = 1, beta = 1, seed = 7) => ({
  alpha,
  beta,
  seed,
  index,
  dimensions: 60,
  classes: 10,
});

/** Mean of the inputs' first coordinate at a site. */
const meanX0 = (x: Float32Array, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i * 60]!;
  return s / n;
};

describe('Synthetic(alpha, beta)', () => {
  it('is reproducible from the seed and the index, and differs between sites', () => {
    const a = syntheticSite(spec(3));
    const b = syntheticSite(spec(3));
    expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true);
    expect([...a.y]).toEqual([...b.y]);
    const c = syntheticSite(spec(4));
    expect(c.n === a.n && Buffer.from(c.x.buffer).equals(Buffer.from(a.x.buffer))).toBe(false);
    expect(syntheticSite(spec(3, 1, 1, 8)).x[0]).not.toBe(a.x[0]);
  });

  it('sizes sites as LEAF does (lognormal(4, 2) + 50, capped) and labels every row with a class', () => {
    const sizes = Array.from({ length: 2000 }, (_, i) => syntheticRows({ seed: 1, index: i }));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...sizes)).toBe(SYNTHETIC_MAX_ROWS);
    const sorted = [...sizes].sort((p, q) => p - q);
    // Median of lognormal(4, 2) is e^4 = 55, so about 105 rows.
    expect(sorted[1000]).toBeGreaterThan(85);
    expect(sorted[1000]).toBeLessThan(130);
    const s = syntheticSite(spec(11));
    expect(s.x.length).toBe(s.n * 60);
    expect(s.x.every(Number.isFinite)).toBe(true);
    expect([...s.y].every((y) => y >= 0 && y < 10)).toBe(true);
  });

  it('spreads the inputs of the sites apart as beta grows', () => {
    const spread = (alpha: number, beta: number) => {
      const means = Array.from({ length: 200 }, (_, i) => {
        const s = syntheticSite(spec(i, alpha, beta));
        return meanX0(s.x, s.n);
      });
      const m = means.reduce((p, q) => p + q, 0) / means.length;
      return Math.sqrt(means.reduce((p, q) => p + (q - m) ** 2, 0) / means.length);
    };
    // With beta = 0, v ~ N(0, 1) per site (sd 1); beta = 3 adds N(0, 9) per site (sd about 3.2).
    expect(spread(0, 3)).toBeGreaterThan(2 * spread(0, 0));
  });

  it('splits a simulated site into local train and test; refuses a site that is not simulated', () => {
    const cfg = { format: 'synthetic', dimensions: 60, classes: 10, testFraction: 0.2, splitSeed: 42 } as const;
    const site = loadSyntheticSite(cfg, { scheme: 'synthetic', clients: 100, seed: 7, index: 5 });
    expect(site.train.n + site.test.n).toBe(syntheticRows({ seed: 7, index: 5 }));
    expect(site.test.n).toBeGreaterThan(0);
    expect(() => loadSyntheticSite(cfg, undefined)).toThrow(/simulate --dataset synthetic/);
  });
});
