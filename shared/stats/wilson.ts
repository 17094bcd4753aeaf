// The Wilson score interval of a proportion (Wilson 1927): the interval for accuracy, from correct
// predictions out of test rows. Unlike the Wald interval (p +- z sqrt(p(1-p)/n)) it stays inside [0, 1]
// and keeps its coverage near 0 and 1 and for small n (Brown, Cai & DasGupta 2001).
import { type Bounds, Z95 } from './interval.js';

/**
 * The Wilson score interval for `successes` out of `n` trials, without continuity correction:
 * (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n). NaN bounds when n is 0 or the counts
 * are not counts.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z95): Bounds {
  if (!(n > 0) || !(successes >= 0) || successes > n) return { lower: NaN, upper: NaN };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At p = 0 or 1 the bound is exactly 0 or 1; clamp what rounding leaves.
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}
