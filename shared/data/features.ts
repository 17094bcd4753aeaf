// Turns a site's raw table into model inputs. Imputation and scaling statistics come from the
// site's own training rows only: rows are never pooled across sites.
import type { CsvDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import type { RawTable } from './csv.js';
import { type FlambyEncoding, prepareFlambySite } from './flamby.js';
import { type SiteSplit, siteSplit, stratifiedSplit } from './split.js';

export interface Examples {
  /** Row-major features, n x featureCount. */
  x: Float32Array;
  /** Class index per row. */
  y: Int32Array;
  n: number;
}

export interface SiteData {
  train: Examples;
  test: Examples;
  featureNames: string[];
  classes: number;
}

/** Feature names in model-input order: numeric columns as is, categorical ones one-hot. */
export function featureNames(cfg: CsvDataConfig): string[] {
  const out: string[] = [];
  for (const c of cfg.columns) {
    if (c === cfg.label || cfg.drop.includes(c)) continue;
    const cats = cfg.categorical[c];
    if (cats) for (const v of cats) out.push(`${c}=${v}`);
    else out.push(c);
  }
  return out;
}

export function csvClassCount(cfg: CsvDataConfig): number {
  return cfg.binarise ? 2 : cfg.classes!;
}

export function labelOf(value: number, cfg: CsvDataConfig): number {
  if (cfg.binarise) {
    const m = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(cfg.binarise)!;
    const t = Number(m[2]);
    const hit = {
      '>': value > t,
      '>=': value >= t,
      '<': value < t,
      '<=': value <= t,
      '==': value === t,
      '!=': value !== t,
    }[m[1] as '>'];
    return hit ? 1 : 0;
  }
  if (!Number.isInteger(value) || value < 0 || value >= cfg.classes!)
    throw new DataError(`label ${value} is not a class index in 0..${cfg.classes! - 1}`);
  return value;
}

/** The experiment's encoding of a row, as flamby.ts takes it. */
export function flambyEncoding(cfg: CsvDataConfig): FlambyEncoding {
  return { names: featureNames(cfg), label: (v) => labelOf(v, cfg) };
}

export interface ColumnStats {
  fill: number;
  mean: number;
  std: number;
}

function stats(values: number[], cfg: CsvDataConfig): ColumnStats {
  const present = values.filter((v) => !Number.isNaN(v));
  if (present.length === 0) return { fill: 0, mean: 0, std: 1 };
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  const sorted = [...present].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const fill = cfg.impute === 'mean' ? mean : cfg.impute === 'median' ? median : 0;
  const filled = values.map((v) => (Number.isNaN(v) ? fill : v));
  const m = filled.reduce((a, b) => a + b, 0) / filled.length;
  const variance = filled.reduce((a, b) => a + (b - m) ** 2, 0) / filled.length;
  const std = Math.sqrt(variance);
  return { fill, mean: m, std: std > 1e-8 ? std : 1 };
}

/**
 * Splits, imputes and scales one site's table: with the site's own split when it gives one (see
 * split.ts), else with the experiment's stratified split.
 */
export function prepareSite(table: RawTable, cfg: CsvDataConfig, own?: SiteSplit): SiteData {
  // A published benchmark's own rows, split and scaling (flamby.ts): the site's own split does not apply.
  if (cfg.preprocessing === 'flamby')
    return {
      ...prepareFlambySite(table, cfg, flambyEncoding(cfg)),
      featureNames: featureNames(cfg),
      classes: csvClassCount(cfg),
    };
  const labelIdx = table.columns.indexOf(cfg.label);
  if (labelIdx < 0) throw new DataError(`label column "${cfg.label}" is missing`, 'MISSING_LABEL_COLUMN');
  const labels = table.rows.map((r) => labelOf(r[labelIdx]!, cfg));
  const split = own ? siteSplit(table.lines, own) : stratifiedSplit(labels, cfg.testFraction, cfg.splitSeed);
  const names = featureNames(cfg);
  // Features follow the schema's column order, whatever order a site's header has.
  const used = cfg.columns
    .filter((c) => c !== cfg.label && !cfg.drop.includes(c))
    .map((c) => ({ c, j: table.columns.indexOf(c) }));
  const numericCols = used.filter(({ c }) => !cfg.categorical[c]);
  const colStats = new Map<number, ColumnStats>();
  for (const { c, j } of numericCols) {
    if (cfg.scaling === 'federated') {
      if (!cfg.stats)
        throw new DataError(
          `federated scaling needs global statistics for column "${c}" (the coordinator sends them)`,
          'MISSING_STATS',
        );
      // A column every site withheld (too few values anywhere) has no global statistics: each site
      // scales it with its own, as under `standard` scaling, rather than failing every round.
      colStats.set(
        j,
        cfg.stats[c] ??
          stats(
            split.train.map((i) => table.rows[i]![j]!),
            cfg,
          ),
      );
    } else
      colStats.set(
        j,
        stats(
          split.train.map((i) => table.rows[i]![j]!),
          cfg,
        ),
      );
  }

  const encode = (idx: number[]): Examples => {
    const x = new Float32Array(idx.length * names.length);
    const y = new Int32Array(idx.length);
    idx.forEach((ri, r) => {
      const row = table.rows[ri]!;
      let k = r * names.length;
      for (const { c, j } of used) {
        const cats = cfg.categorical[c];
        if (cats) {
          for (const v of cats) x[k++] = row[j] === v ? 1 : 0;
        } else {
          const s = colStats.get(j)!;
          const v = Number.isNaN(row[j]!) ? s.fill : row[j]!;
          x[k++] = cfg.scaling === 'none' ? v : (v - s.mean) / s.std;
        }
      }
      y[r] = labels[ri]!;
    });
    return { x, y, n: idx.length };
  };
  return { train: encode(split.train), test: encode(split.test), featureNames: names, classes: csvClassCount(cfg) };
}

export function concatExamples(parts: Examples[], featureCount: number): Examples {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Float32Array(n * featureCount);
  const y = new Int32Array(n);
  let r = 0;
  for (const p of parts) {
    x.set(p.x, r * featureCount);
    y.set(p.y, r);
    r += p.n;
  }
  return { x, y, n };
}
