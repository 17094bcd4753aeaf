// Declared value ranges and the check of one site's column statistics (or their total under secure
// aggregation): honest sums always pass, poisoned ones that fit Cauchy-Schwarz but not the ranges do not.
import { describe, expect, it } from 'vitest';
import { secureTotalProblem } from '../../coordinator/rounds/apply-statistics.js';
import { checkTaskMetrics, STATS_REFUSED } from '../../coordinator/sessions/validate.js';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import {
  type ColumnSums,
  columnSumsToMetrics,
  columnSumsToVector,
  combineColumnSums,
  numericColumns,
  siteColumnSums,
  vectorToColumnSums,
} from '../../shared/data/column-sums.js';
import { readCsvFile } from '../../shared/data/csv.js';
import { clampToRange, columnSumsProblem, MAX_SITE_ROWS } from '../../shared/data/stats-check.js';
import { decodeFixedPointSum, encodeFixedPoint, WORDS_PER_VALUE } from '../../shared/secagg/fixed-point.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

const cfg = parseExperiment(HEART_DISEASE.experiment).data as CsvDataConfig;
const noRanges: CsvDataConfig = { ...cfg, ranges: undefined };
const sites = Object.values(HEART_DISEASE.sites).map((f) => siteColumnSums(readCsvFile(f, cfg), cfg));
const age = (n: number, sum: number, sumsq: number, rows = 100): ColumnSums => ({
  rows,
  columns: { age: { n, sum, sumsq } },
});

describe('declared ranges (data.ranges)', () => {
  it('are [min, max] of numeric columns; the error names the column', () => {
    const parse = (ranges: unknown) => () =>
      parseExperiment({ ...HEART_DISEASE.experiment, data: { ...HEART_DISEASE.experiment.data, ranges } });
    expect(parse({ age: [18, 18] })).not.toThrow();
    expect(parse({ age: [100, 18] })).toThrow(/data\.ranges\.age: column "age" has min 100 above max 18/);
    expect(parse({ num: [0, 4] })).toThrow(/column "num" is the label/);
    expect(parse({ weight: [0, 300] })).toThrow(/column "weight" is not one of data.columns/);
    expect(parse({ age: [0] })).toThrow(/data\.ranges\.age/);
    expect(
      () =>
        parseExperiment({
          ...HEART_DISEASE.experiment,
          data: { ...HEART_DISEASE.experiment.data, categorical: { cp: [1, 2, 3, 4] }, ranges: { cp: [1, 4] } },
        }),
      'a categorical column is one-hot encoded, not scaled',
    ).toThrow(/column "cp" is categorical/);
  });

  it('every shipped heart-disease value fits the ranges the data set declares', () => {
    const outside: string[] = [];
    for (const [site, f] of Object.entries(HEART_DISEASE.sites)) {
      const t = readCsvFile(f, cfg);
      for (const [c, [lo, hi]] of Object.entries(cfg.ranges ?? {})) {
        const j = t.columns.indexOf(c);
        for (const r of t.rows) if (r[j]! < lo || r[j]! > hi) outside.push(`${site} ${c} ${r[j]}`);
      }
    }
    expect(outside).toEqual([]);
    expect(Object.keys(cfg.ranges ?? {})).toEqual(numericColumns(cfg));
  });

  it('clampToRange moves a value into its range and leaves NaN (missing) and unranged values alone', () => {
    expect(clampToRange(5, [18, 100])).toBe(18);
    expect(clampToRange(250, [18, 100])).toBe(100);
    expect(clampToRange(40, [18, 100])).toBe(40);
    expect(clampToRange(1e9, undefined)).toBe(1e9);
    expect(clampToRange(Number.NaN, [18, 100])).toBeNaN();
  });
});

describe('column statistics check', () => {
  it("every honest site's sums pass, with and without ranges, and so does their total", () => {
    for (const s of sites) {
      expect(columnSumsProblem(s, cfg)).toBeUndefined();
      expect(columnSumsProblem(s, noRanges)).toBeUndefined();
    }
    // Under secure aggregation: the exact fixed-point total of the four sites.
    const cols = numericColumns(cfg);
    const words = sites.map((s) => encodeFixedPoint(columnSumsToVector(s, cols)));
    const sum = new Uint32Array(words[0]!.length);
    for (const w of words) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i]! + w[i]!) >>> 0;
    const total = vectorToColumnSums(decodeFixedPointSum(sum, sites.length), cols);
    expect(columnSumsProblem(total, cfg, { maxRows: 4 * MAX_SITE_ROWS, slack: 4 * 2 ** -16 })).toBeUndefined();
  });

  it('under secure aggregation a total that breaks the ranges fails the run: no site can be named', () => {
    const experiment = parseExperiment(HEART_DISEASE.experiment);
    const cols = numericColumns(cfg);
    const secureTotal = (parts: ColumnSums[]) => {
      const sum = new Uint32Array(WORDS_PER_VALUE * (1 + 3 * cols.length));
      for (const p of parts) {
        const w = encodeFixedPoint(columnSumsToVector(p, cols));
        for (let i = 0; i < sum.length; i++) sum[i] = (sum[i]! + w[i]!) >>> 0;
      }
      return vectorToColumnSums(decodeFixedPointSum(sum, parts.length), cols);
    };
    expect(secureTotalProblem(experiment, secureTotal(sites), sites.length)).toBeUndefined();
    // A fifth site's poisoned sums: with the honest totals they still break the bound on the squares.
    const rogue = age(100, 5500, 1e15);
    expect(secureTotalProblem(experiment, secureTotal([...sites, rogue]), 5)).toMatch(
      /summed from 5 sites are impossible .*column age: sum of squares .* is above .*secure aggregation hides which site/,
    );
    // A negative count cancelling the honest ones is caught in the total too.
    expect(secureTotalProblem(experiment, secureTotal([...sites, age(-1000, 0, 0)]), 5)).toMatch(
      /count -\d+ is not a whole number/,
    );
  });

  it('a constant column (the least sum of squares Cauchy-Schwarz allows) passes', () => {
    expect(columnSumsProblem(age(100, 100 * 55.5, 100 * 55.5 ** 2), cfg)).toBeUndefined();
    expect(columnSumsProblem(age(3, 3 * 0.1, 3 * 0.1 ** 2), noRanges)).toBeUndefined();
  });

  it('refuses poisoned sums that fit Cauchy-Schwarz: only the ranges catch them', () => {
    // The measured attack: 100 values, sumsq 1e15 and the largest sum it allows (every mean to ~6e5).
    const poisoned = age(100, Math.sqrt(100 * 1e15), 1e15);
    expect(columnSumsProblem(poisoned, noRanges)).toBeUndefined(); // Cauchy-Schwarz alone lets it through
    expect(columnSumsProblem(poisoned, cfg)).toMatch(
      /column age: sum 316227766\.\d+ of 100 values is outside \[1800, 10000\]/,
    );
    // A plausible sum with sumsq 1e15 (the deviation to ~1.4e6).
    expect(columnSumsProblem(age(100, 5500, 1e15), cfg)).toMatch(
      /sum of squares 1000000000000000 of 100 values is above 1000000/,
    );
    expect(columnSumsProblem(age(100, 100 * 17, 100 * 17 ** 2), cfg)).toMatch(/outside \[1800, 10000\]/);
  });

  it('refuses counts, rows and values no site could have', () => {
    const cases: [ColumnSums, RegExp][] = [
      [age(500, 500 * 50, 500 * 2600), /count 500 is not a whole number within the 100 rows/],
      [age(-5, 0, 0), /count -5 is not a whole number/],
      [age(2.5, 100, 5000), /count 2.5 is not a whole number/],
      [age(10, Number.NaN, 0), /must be finite/],
      [age(10, 500, Number.POSITIVE_INFINITY), /must be finite/],
      [age(0, 0, 0, MAX_SITE_ROWS + 1), /rows 10000001 is not a whole number within \[0, 10000000\]/],
      [age(0, -1e15, 0), /sums -1000000000000000 and 0 of no values/],
      [age(0, 0, 1e15), /sums 0 and 1000000000000000 of no values/],
      [age(10, 500, 100), /sum of squares 100 cannot come from 10 values summing to 500/],
      [age(10, 500, -1), /sum of squares -1 cannot come from/],
      [{ rows: 10, columns: { num: { n: 10, sum: 5, sumsq: 5 } } }, /column num is not a numeric column of the schema/],
    ];
    // Without ranges the counts, finiteness and Cauchy-Schwarz hold; with them these are refused too.
    for (const [sums, why] of cases) {
      expect(columnSumsProblem(sums, noRanges)).toMatch(why);
      expect(columnSumsProblem(sums, cfg)).toBeDefined();
    }
  });

  it('the poisoned sums would move the combined statistics: the check is what stops them', () => {
    const honest = combineColumnSums(sites);
    const poisoned = combineColumnSums([...sites, age(100, Math.sqrt(100 * 1e15), 1e15)]);
    expect(honest['age']!.mean).toBeGreaterThan(40);
    expect(honest['age']!.mean).toBeLessThan(65);
    expect(poisoned['age']!.mean).toBeGreaterThan(1e5);
  });

  it("a site's declared rows no longer shrink the deviations (variance over the present values)", () => {
    const honest = combineColumnSums(sites);
    const inflated = combineColumnSums([...sites, { rows: MAX_SITE_ROWS, columns: {} }]);
    for (const c of numericColumns(cfg)) expect(inflated[c]!.std).toBeCloseTo(honest[c]!.std, 10);
  });
});

describe('statistics on arrival (checkTaskMetrics with the task data)', () => {
  const metrics = (values: Record<string, number>, examples = 100) => ({ taskId: 't', round: 0, examples, values });
  const check = (values: Record<string, number>, examples = 100) =>
    checkTaskMetrics('stats', metrics(values, examples), 100, cfg);

  it("an honest site's metrics pass; refusals begin with the prefix the statistics step counts", () => {
    const s = sites[0]!;
    expect(() =>
      checkTaskMetrics('stats', metrics(columnSumsToMetrics(s, cfg.columns), s.rows), s.rows, cfg),
    ).not.toThrow();
    expect(() => check({})).not.toThrow(); // under secure aggregation: an acknowledgement
    expect(() => check({ 'n.0': 100, 'sum.0': 3.16e8, 'sumsq.0': 1e15 })).toThrow(
      new RegExp(`^${STATS_REFUSED}column age: sum 316000000 of 100 values is outside`),
    );
  });

  it('refuses keys the honest worker never sends: a sum without its sum of squares, the label, others', () => {
    // Before: a sum without its sum of squares skipped Cauchy-Schwarz (sumsq counted as 0), so one site
    // could set any mean (1e15 / rows).
    expect(() => check({ 'n.0': 1, 'sum.0': 1e15 })).toThrow(/column 0: n, sum and sumsq must be sent together/);
    expect(() => check({ 'n.13': 100, 'sum.13': 50, 'sumsq.13': 50 })).toThrow(/column num is not a numeric column/);
    expect(() => check({ 'n.99': 1, 'sum.99': 1, 'sumsq.99': 1 })).toThrow(/"n.99" is not a column statistic/);
    expect(() => check({ loss: 0.5 })).toThrow(/"loss" is not a column statistic/);
    expect(() => check({ 'n.00': 1 })).toThrow(/"n.00" is not a column statistic/);
  });
});
