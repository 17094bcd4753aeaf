// Federated scaling's statistics: exact sums under secure aggregation, small cells kept at the site.
import { describe, expect, it } from 'vitest';
import {
  type ColumnSums,
  columnSumsToVector,
  combineColumnSums,
  suppressSmallCells,
  vectorToColumnSums,
} from '../../shared/data/column-sums.js';
import { decodeFixedPointSum, encodeFixedPoint, WORDS_PER_VALUE } from '../../shared/secagg/fixed-point.js';

const site = (rows: number, chol: [number, number, number], ca: [number, number, number]): ColumnSums => ({
  rows,
  columns: { chol: { n: chol[0], sum: chol[1], sumsq: chol[2] }, ca: { n: ca[0], sum: ca[1], sumsq: ca[2] } },
});

describe('column statistics', () => {
  it('fixed-point words add (mod 2^32) to the exact sum of the values, negatives and large values alike', () => {
    const inputs = [
      [0, 1.5, -2.25, 123456.789, 4e12],
      [7, -1.5, 2.25, -0.001, 5e12],
      [1, 0, -100, 0.5, 1e9],
    ];
    const sum = new Uint32Array(inputs[0]!.length * WORDS_PER_VALUE);
    for (const v of inputs) {
      const w = encodeFixedPoint(v);
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i]! + w[i]!) >>> 0;
    }
    const got = decodeFixedPointSum(sum, inputs.length);
    const want = inputs[0]!.map((_, j) => inputs.reduce((a, v) => a + v[j]!, 0));
    got.forEach((g, j) => {
      expect(Math.abs(g - want[j]!)).toBeLessThan(1e-4);
    });
    expect(() => encodeFixedPoint([Number.NaN])).toThrow(/cannot be encoded/);
  });

  it('the summed vector gives the same statistics as combining the sites in clear', () => {
    const sites = [site(100, [90, 22500, 5.7e6], [3, 2, 2]), site(50, [50, 12000, 2.9e6], [40, 30, 50])];
    const cols = ['chol', 'ca'];
    const words = sites.map((s) => encodeFixedPoint(columnSumsToVector(s, cols)));
    const total = new Uint32Array(words[0]!.length);
    for (const w of words) for (let i = 0; i < total.length; i++) total[i] = (total[i]! + w[i]!) >>> 0;
    const secure = combineColumnSums([vectorToColumnSums(decodeFixedPointSum(total, 2), cols)]);
    const clear = combineColumnSums(sites);
    for (const c of cols) {
      expect(secure[c]!.mean).toBeCloseTo(clear[c]!.mean, 6);
      expect(secure[c]!.std).toBeCloseTo(clear[c]!.std, 6);
    }
  });

  it('a column with fewer than minCount values at a site is not sent; the others are', () => {
    const { sums, suppressed } = suppressSmallCells(site(100, [90, 22500, 5.7e6], [1, 0, 0]), 5);
    expect(suppressed).toEqual(['ca']);
    expect(sums.columns['ca']).toBeUndefined();
    expect(sums.columns['chol']?.n).toBe(90);
    // An empty column gives nothing away and is kept (as n = 0).
    expect(suppressSmallCells(site(10, [0, 0, 0], [5, 1, 1]), 5).suppressed).toEqual([]);
  });
});
