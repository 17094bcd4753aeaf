// Federated feature scaling: each site's per-column count, sum and sum of squares over its training
// rows (never a row), their wire forms (Metrics values in clear, a fixed-point vector under secure
// aggregation), small-cell suppression, and the global statistics the coordinator combines them into.
import type { CsvDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import type { RawTable } from './csv.js';
import { type ColumnStats, labelOf } from './features.js';
import { type SiteSplit, siteSplit, stratifiedSplit } from './split.js';

/** One site's per-column sums over its training rows: all that federated scaling needs from it. */
export interface ColumnSums {
  rows: number;
  /**
   * Per numeric column (schema order): non-missing count, sum and sum of squares; at the site also
   * `top`, how many of the values are the most common one (never sent: suppression reads it).
   */
  columns: Record<string, { n: number; sum: number; sumsq: number; top?: number }>;
}

/**
 * Per-column sums over the site's training rows. With the site's own split (`own`) they cover every
 * training line of the file, labelled or not, so no experiment setting moves the rows they cover.
 * `clamp` maps a value into the range the experiment declares for its column (honest sums then fit it).
 */
export function siteColumnSums(
  table: RawTable,
  cfg: CsvDataConfig,
  own?: SiteSplit,
  clamp: (column: string, v: number) => number = (_c, v) => v,
): ColumnSums {
  const labelIdx = table.columns.indexOf(cfg.label);
  if (labelIdx < 0) throw new DataError(`label column "${cfg.label}" is missing`, 'MISSING_LABEL_COLUMN');
  let rows: number[][];
  if (own) {
    const all = [...table.rows, ...table.unlabeled.rows];
    const lines = [...table.lines, ...table.unlabeled.lines];
    rows = siteSplit(lines, own).train.map((i) => all[i]!);
  } else {
    const split = stratifiedSplit(
      table.rows.map((r) => labelOf(r[labelIdx]!, cfg)),
      cfg.testFraction,
      cfg.splitSeed,
    );
    rows = split.train.map((i) => table.rows[i]!);
  }
  const columns: ColumnSums['columns'] = {};
  for (const c of cfg.columns) {
    if (c === cfg.label || cfg.drop.includes(c) || cfg.categorical[c]) continue;
    const j = table.columns.indexOf(c);
    let n = 0;
    let sum = 0;
    let sumsq = 0;
    const counts = new Map<number, number>();
    for (const row of rows) {
      const raw = row[j]!;
      if (Number.isNaN(raw)) continue;
      const v = clamp(c, raw);
      n++;
      sum += v;
      sumsq += v * v;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    columns[c] = { n, sum, sumsq, top: Math.max(0, ...counts.values()) };
  }
  return { rows: rows.length, columns };
}

/**
 * Global statistics from the sites' sums: the mean and standard deviation of the present values of
 * each column (missing values are filled with the mean). The variance is (sumsq - n m^2) / n over the
 * n present values, not over the declared rows: dividing by the rows (the variance of the filled
 * column) let one site declaring many rows, all "missing", shrink every column's deviation at once
 * (10^7 declared rows shrank them 158-fold). Now a site weighs in a column only by the count it sends
 * for it, which the coordinator ties to sums within the declared ranges (stats-check.ts).
 */
export function combineColumnSums(parts: ColumnSums[]): Record<string, ColumnStats> {
  const out: Record<string, ColumnStats> = {};
  for (const c of [...new Set(parts.flatMap((p) => Object.keys(p.columns)))]) {
    const n = parts.reduce((a, p) => a + (p.columns[c]?.n ?? 0), 0);
    const sum = parts.reduce((a, p) => a + (p.columns[c]?.sum ?? 0), 0);
    const sumsq = parts.reduce((a, p) => a + (p.columns[c]?.sumsq ?? 0), 0);
    if (!(n > 0)) {
      out[c] = { fill: 0, mean: 0, std: 1 };
      continue;
    }
    const m = sum / n;
    const variance = Math.max(0, (sumsq - n * m * m) / n);
    const std = Math.sqrt(variance);
    out[c] = { fill: m, mean: m, std: std > 1e-8 ? std : 1 };
  }
  return out;
}

/** Column sums as Metrics values (numbers only on the wire): n.K, sum.K, sumsq.K by schema column index. */
export function columnSumsToMetrics(sums: ColumnSums, columns: readonly string[]): Record<string, number> {
  const values: Record<string, number> = {};
  columns.forEach((c, k) => {
    const s = sums.columns[c];
    if (!s) return;
    values[`n.${k}`] = s.n;
    values[`sum.${k}`] = s.sum;
    values[`sumsq.${k}`] = s.sumsq;
  });
  return values;
}

export function metricsToColumnSums(
  values: Record<string, number>,
  rows: number,
  columns: readonly string[],
): ColumnSums {
  const out: ColumnSums['columns'] = {};
  columns.forEach((c, k) => {
    const n = values[`n.${k}`];
    if (n !== undefined) out[c] = { n, sum: values[`sum.${k}`] ?? 0, sumsq: values[`sumsq.${k}`] ?? 0 };
  });
  return { rows, columns: out };
}

/** The columns federated scaling covers, in schema order: numeric, not the label, not dropped. */
export function numericColumns(cfg: CsvDataConfig): string[] {
  return cfg.columns.filter((c) => c !== cfg.label && !cfg.drop.includes(c) && !cfg.categorical[c]);
}

/**
 * Small-cell suppression: a column with fewer than `minCount` recorded values at this site is not
 * sent at all (its sums would give those few patients' values away), nor one whose most common value
 * leaves fewer than `minCount` others (six identical values give everyone's value; a 0/1 column with
 * two ones gives away a cell of two). The combined statistics then come from the other sites.
 */
export function suppressSmallCells(sums: ColumnSums, minCount: number): { sums: ColumnSums; suppressed: string[] } {
  const columns: ColumnSums['columns'] = {};
  const suppressed: string[] = [];
  for (const [c, s] of Object.entries(sums.columns)) {
    const dominated = s.top !== undefined && s.n > 0 && s.n - s.top < minCount;
    if ((s.n > 0 && s.n < minCount) || dominated) suppressed.push(c);
    else columns[c] = { n: s.n, sum: s.sum, sumsq: s.sumsq };
  }
  return { sums: { rows: sums.rows, columns }, suppressed };
}

/** Column sums as one vector for secure aggregation: rows, then n, sum, sumsq of each column in order. */
export function columnSumsToVector(sums: ColumnSums, columns: readonly string[]): Float64Array {
  const v = new Float64Array(1 + 3 * columns.length);
  v[0] = sums.rows;
  columns.forEach((c, k) => {
    const s = sums.columns[c];
    if (!s) return;
    v[1 + 3 * k] = s.n;
    v[2 + 3 * k] = s.sum;
    v[3 + 3 * k] = s.sumsq;
  });
  return v;
}

/** The summed vector back as column sums (a column no site recorded keeps n = 0). */
export function vectorToColumnSums(v: ArrayLike<number>, columns: readonly string[]): ColumnSums {
  const out: ColumnSums['columns'] = {};
  columns.forEach((c, k) => {
    out[c] = { n: Math.round(v[1 + 3 * k] ?? 0), sum: v[2 + 3 * k] ?? 0, sumsq: v[3 + 3 * k] ?? 0 };
  });
  return { rows: Math.round(v[0] ?? 0), columns: out };
}
