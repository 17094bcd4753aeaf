// What one site's column statistics (federated scaling) may claim, given the experiment's declared value
// ranges (`data.ranges`): whole counts within the rows, rows within the ceiling, each sum between n times
// the range's ends, each sum of squares between what the sum forces (Cauchy-Schwarz: sum^2 <= n sumsq)
// and n times the largest square in the range. Honest sites clamp their values to the ranges before
// summing (clampToRange), so their statistics always pass; a site's lie is then bounded by the ranges.
// Pure: the coordinator checks each site's statistics on arrival, and their total under secure aggregation.
// Structural types only: column-sums.ts imports clampToRange from here.

/** A numeric column's declared [min, max] (data.ranges). */
export type Range = readonly [number, number];

/** The most rows a site may declare unless the coordinator sets a lower ceiling (--max-site-rows). */
export const MAX_SITE_ROWS = 10_000_000;

/** One site's column statistics (ColumnSums in column-sums.ts). */
export interface SiteColumnSums {
  rows: number;
  columns: Record<string, { n: number; sum: number; sumsq: number }>;
}

/** The data settings the check reads (a CsvDataConfig). */
export interface StatsSchema {
  columns: readonly string[];
  label: string;
  drop: readonly string[];
  categorical: Record<string, unknown>;
  ranges?: Record<string, Range> | undefined;
}

/** A value moved into `range` (unchanged without one; NaN, a missing value, stays NaN). */
export function clampToRange(v: number, range: Range | undefined): number {
  if (!range) return v;
  return Math.min(Math.max(v, range[0]), range[1]);
}

/**
 * The first thing wrong with one site's statistics (or a total of `sites` sites'), or undefined.
 * `maxRows` is the ceiling on rows (a total's: the sites' ceilings added); `slack` an absolute
 * tolerance on each sum for rounding (fixed-point encoding under secure aggregation adds 2^-16 a site).
 */
export function columnSumsProblem(
  sums: SiteColumnSums,
  schema: StatsSchema,
  opts: { maxRows?: number; slack?: number } = {},
): string | undefined {
  const maxRows = opts.maxRows ?? MAX_SITE_ROWS;
  const slack = opts.slack ?? 1e-6;
  const { rows } = sums;
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > maxRows)
    return `rows ${rows} is not a whole number within [0, ${maxRows}]`;
  for (const [c, s] of Object.entries(sums.columns)) {
    if (!schema.columns.includes(c) || c === schema.label || schema.drop.includes(c) || schema.categorical[c])
      return `column ${c} is not a numeric column of the schema`;
    const { n, sum, sumsq } = s;
    if (![n, sum, sumsq].every(Number.isFinite)) return `column ${c}: count, sum and sum of squares must be finite`;
    if (!Number.isInteger(n) || n < 0 || n > rows)
      return `column ${c}: count ${n} is not a whole number within the ${rows} rows`;
    // Relative tolerance for floating-point sums, plus the absolute slack.
    const tol = (x: number) => 1e-9 * Math.abs(x) + slack;
    const range = schema.ranges?.[c];
    if (range) {
      const [lo, hi] = range;
      if (sum < n * lo - tol(n * lo) || sum > n * hi + tol(n * hi))
        return `column ${c}: sum ${sum} of ${n} values is outside [${n * lo}, ${n * hi}] (range [${lo}, ${hi}])`;
      const top = n * Math.max(lo * lo, hi * hi);
      if (sumsq > top + tol(top))
        return `column ${c}: sum of squares ${sumsq} of ${n} values is above ${top} (range [${lo}, ${hi}])`;
    }
    // Cauchy-Schwarz, with or without a range: n values summing to `sum` have sumsq >= sum^2 / n
    // (and n = 0 values sum to 0).
    const least = n > 0 ? (sum * sum) / n : 0;
    if (n === 0 && (Math.abs(sum) > slack || Math.abs(sumsq) > slack))
      return `column ${c}: sums ${sum} and ${sumsq} of no values`;
    if (sumsq < least - tol(least))
      return `column ${c}: sum of squares ${sumsq} cannot come from ${n} values summing to ${sum}`;
  }
  return undefined;
}
