// Federated analytics, pure parts: what a site's profile withholds, its wire form checked both ways,
// and the pooled summary (quantiles from histograms, standardized mean differences, flags).
import { describe, expect, it } from 'vitest';
import {
  metricsToProfile,
  profileToMetrics,
  profileToVector,
  profileVectorLength,
  siteProfile,
  vectorToPooledProfile,
} from '../../shared/analysis/profile.js';
import { analyse, histogramQuantiles, smd } from '../../shared/analysis/summary.js';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import type { RawTable } from '../../shared/data/csv.js';

const cfg = parseExperiment({
  data: {
    columns: ['a', 'b', 'y'],
    label: 'y',
    binarise: '> 0',
    ranges: { a: [0, 10], b: [0, 1] },
    minCellCount: 3,
    analysis: { bins: 5 },
  },
}).data as CsvDataConfig;
const settings = { bins: 5 };

/** Rows [a, b, y]; NaN is missing. */
function table(rows: number[][]): RawTable {
  return { columns: ['a', 'b', 'y'], rows, lines: rows.map((_, i) => i + 1), unlabeled: { rows: [], lines: [] } };
}

describe('a site profile', () => {
  const rows = [
    [1, 0, 0],
    [2, 1, 1],
    [3, 0, 0],
    [9, 1, 1],
    [12, 0, 0], // outside a's range: counted, clamped to 10
    [4, NaN, 1],
    [5, 1, 0],
    [6, 0, 1],
  ];
  const p = siteProfile(table(rows), cfg, settings, 2);

  it('counts, sums and bins each column, clamping values outside the declared range', () => {
    const a = p.columns['a']!;
    expect(a.n).toBe(8);
    expect(a.missing).toBe(0);
    expect(a.sum).toBe(1 + 2 + 3 + 9 + 10 + 4 + 5 + 6);
    // Bins of width 2 over [0, 10]: 1 | 2,3 | 4,5 | 6 | 9,10 -> at a floor of 2 the single-value bins are small cells.
    expect(a.hist).toEqual([0, 2, 2, 0, 2]);
    expect(a.hiddenBins).toBe(2);
    // One value outside the range is a small cell too: withheld, not sent as 1.
    expect(a.outOfRange).toBeUndefined();
  });

  it('withholds small cells: a missing count of 1, a label class below the floor, a thin column', () => {
    expect(p.columns['b']!.missing).toBeUndefined();
    expect(p.labels).toEqual({ '0': 4, '1': 4 });
    const thin = siteProfile(table(rows.slice(0, 4)), cfg, settings, 5);
    expect(thin.suppressed.columns).toEqual(['a', 'b']);
    expect(thin.columns).toEqual({});
    expect(thin.suppressed.labels).toEqual(['0', '1']);
  });

  it('withholds a column one value dominates (the others would be a small cell)', () => {
    const dominated = siteProfile(table(rows.map((r, i) => [r[0]!, i < 7 ? 1 : 0, r[2]!])), cfg, settings, 3);
    expect(dominated.suppressed.columns).toContain('b');
  });

  it('travels as metrics and back unchanged; inconsistent profiles are refused with the reason', () => {
    const v = profileToMetrics(p, cfg);
    expect(metricsToProfile(v, cfg, settings)).toEqual(p);
    expect(metricsToProfile({ ...v, 'an.0.n': 9.5 }, cfg, settings)).toMatch(/not a whole number/);
    expect(metricsToProfile({ ...v, 'an.0.missing': 3 }, cfg, settings)).toMatch(/do not make the 8 rows/);
    expect(metricsToProfile({ ...v, 'an.0.h.1': 50 }, cfg, settings)).toMatch(/bins/);
    expect(metricsToProfile({ ...v, 'an.0.sumsq': 1 }, cfg, settings)).toMatch(/sums/);
    expect(metricsToProfile({ ...v, 'an.extra': 1 }, cfg, settings)).toMatch(/not part of a profile/);
  });
});

describe('profiles under secure aggregation', () => {
  it('sum as vectors to the pooled profile, counting the sites that released each cell', () => {
    const one = siteProfile(
      table([
        [1, 0, 0],
        [2, 1, 1],
        [3, 0, 0],
        [4, 1, 1],
      ]),
      cfg,
      settings,
      1,
    );
    const two = siteProfile(
      table([
        [5, 0, 0],
        [6, NaN, 1],
        [7, 1, 0],
        [8, 0, 1],
      ]),
      cfg,
      settings,
      2,
    );
    const [v1, v2] = [one, two].map((p) => profileToVector(p, cfg, settings, 2));
    expect(v1).toHaveLength(profileVectorLength(cfg, settings, 2));
    const total = v1!.map((x, i) => x + v2![i]!);
    const { profile, releasedBy } = vectorToPooledProfile(total, cfg, settings, 2, 2);
    expect(profile.rows).toBe(8);
    expect(profile.columns['a']!.n).toBe(8);
    expect(profile.columns['a']!.sum).toBe(36);
    // b at site two: 0, 1, 0 recorded: one value leaves a single other, below its floor of 2: withheld.
    expect(releasedBy).toEqual({ a: 2, b: 1 });
    expect(profile.suppressed.columns).toEqual(['b']);
    expect(profile.columns['b']!.n).toBe(4);
    expect(profile.labels).toEqual({ '0': 4, '1': 4 });
    expect(profile.suppressed.labels).toEqual([]);
  });
});

describe('the pooled summary', () => {
  it('interpolates quartiles within bins', () => {
    // 10 values uniform over [0, 10] in 5 bins of 2 each: quartiles 2.5, 5, 7.5.
    const q = histogramQuantiles([2, 2, 2, 2, 2], 0, 10)!;
    expect(q.p25).toBeCloseTo(2.5);
    expect(q.p50).toBeCloseTo(5);
    expect(q.p75).toBeCloseTo(7.5);
    expect(q.binWidth).toBe(2);
  });

  it('computes the standardized mean difference', () => {
    // (5 - 3) / sqrt((2^2 + 2^2) / 2) = 1
    expect(smd({ n: 10, mean: 5, sd: 2, hiddenBins: 0 }, { n: 10, mean: 3, sd: 2, hiddenBins: 0 })).toBeCloseTo(1);
  });

  it('pools sites, and flags drift, missingness, out-of-range values and withheld columns', () => {
    const one = table(Array.from({ length: 20 }, (_, i) => [1 + (i % 3), i % 2, i % 2]));
    const two = table(Array.from({ length: 20 }, (_, i) => [7 + (i % 3), i < 10 ? NaN : i % 2, i % 2]));
    const three = table(Array.from({ length: 20 }, (_, i) => [i < 10 ? 20 : 5, i % 2, i % 2]));
    const thin = table(Array.from({ length: 20 }, (_, i) => [i < 2 ? 5 : NaN, i % 2, i % 2]));
    const a = analyse(
      {
        one: siteProfile(one, cfg, settings, 3),
        two: siteProfile(two, cfg, settings, 3),
        three: siteProfile(three, cfg, settings, 3),
        thin: siteProfile(thin, cfg, settings, 3),
      },
      cfg,
      settings,
    );
    expect(a.pooled.rows).toBe(80);
    expect(a.pooled.columns['a']!.n).toBe(60);
    expect(a.pooled.labels).toEqual({ '0': 40, '1': 40 });
    const kinds = a.flags.map((f) => `${f.kind}:${f.column}@${f.site}`);
    expect(kinds).toContain('drift:a@one');
    expect(kinds).toContain('missingness:b@two');
    expect(kinds).toContain('range:a@three');
    expect(kinds).toContain('suppressed:a@thin');
    expect(a.perSite['thin']!.suppressed.columns).toEqual(['a']);
    expect(a.drift['a']!['one']).toBeLessThan(-0.5);
  });
});
