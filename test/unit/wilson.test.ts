import { describe, expect, it } from 'vitest';
import { Z95 } from '../../shared/stats/interval.js';
import { wilsonInterval } from '../../shared/stats/wilson.js';

// Reference bounds from scipy 1.17.1:
//   scipy.stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method='wilson')
// (Wilson score interval without continuity correction).
const SCIPY: [number, number, number, number][] = [
  [81, 100, 0.7222115462093562, 0.8748524849023126],
  [81, 263, 0.2552885198782742, 0.36620957698280004],
  [0, 10, 0, 0.27753279986288926],
  [10, 10, 0.7224672001371109, 1],
  [1, 2, 0.09453120573423074, 0.9054687942657693],
  [245, 299, 0.7718314462857409, 0.8588615927181656],
];

describe('wilsonInterval', () => {
  it('uses the 0.975 quantile of the standard normal (scipy.stats.norm.ppf(0.975))', () => {
    expect(Z95).toBe(1.959963984540054);
  });

  it.each(SCIPY)('%i of %i matches scipy', (k, n, lower, upper) => {
    const ci = wilsonInterval(k, n);
    expect(ci.lower).toBeCloseTo(lower, 12);
    expect(ci.upper).toBeCloseTo(upper, 12);
  });

  it('matches the published example of Newcombe (1998), 81 of 263: 0.2553 to 0.3662', () => {
    const ci = wilsonInterval(81, 263);
    expect(ci.lower).toBeCloseTo(0.2553, 4);
    expect(ci.upper).toBeCloseTo(0.3662, 4);
  });

  it('holds the proportion inside, within [0, 1]', () => {
    for (const [k, n] of [
      [0, 1],
      [1, 1],
      [3, 7],
      [999, 1000],
    ] as const) {
      const ci = wilsonInterval(k, n);
      expect(ci.lower).toBeGreaterThanOrEqual(0);
      expect(ci.upper).toBeLessThanOrEqual(1);
      expect(ci.lower).toBeLessThanOrEqual(k / n);
      expect(ci.upper).toBeGreaterThanOrEqual(k / n);
    }
  });

  it('is NaN without trials or with counts that are not counts', () => {
    expect(wilsonInterval(0, 0).lower).toBeNaN();
    expect(wilsonInterval(5, 4).upper).toBeNaN();
    expect(wilsonInterval(-1, 4).upper).toBeNaN();
  });
});
