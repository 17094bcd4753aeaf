// FLamby's Fed-Heart-Disease preprocessing (data.preprocessing: flamby), row for row as
// flamby/datasets/fed_heart_disease/dataset.py does it (docs/flamby.md): slope, ca and thal dropped
// (data.drop), every row with a missing value in the other columns dropped, cp and restecg one-hot
// without their first category (data.categorical), FLamby's fixed per-centre train/test split
// (data/heart-disease/flamby-split.json, recomputed with scikit-learn by flamby-split.py beside it), and
// all 13 inputs, one-hot ones included, standardised with the mean and the sample standard deviation
// (n - 1) of the centre's own training rows, plus 1e-9. A centre is recognised by its rows, so the
// option applies to FLamby's four heart-disease centres only (any copy of their files).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CsvDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { RawTable } from './csv.js';

/** Rows as the model takes them (features.ts's Examples; that module calls this one). */
export interface FlambyExamples {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** How the experiment encodes a row (from features.ts): input names, one-hot ones as `col=value`, and the label rule. */
export interface FlambyEncoding {
  names: string[];
  label: (value: number) => number;
}

export const FLAMBY_SPLIT_FILE = path.join(PACKAGE_ROOT, 'data', 'heart-disease', 'flamby-split.json');

/** FLamby's epsilon: x' = (x - mean) / (std + 1e-9). */
const EPS = 1e-9;

export interface FlambyCentre {
  /** FLamby's centre number (0 Cleveland, 1 Hungary, 2 Switzerland, 3 Long Beach VA). */
  flambyCentre: number;
  file: string;
  /** SHA-256 of every row's values with one decimal ("NaN" when missing): how a table is recognised. */
  rowsSha256: string;
  rows: number;
  complete: number;
  train: number;
  test: number;
  /** 1-based line numbers of the centre's test rows in its file. */
  testLines: number[];
}

let cached: Record<string, FlambyCentre> | undefined;

/** The four centres of FLamby's split, by Accord's site name (cleveland, hungary, switzerland, va). */
export function flambyCentres(): Record<string, FlambyCentre> {
  cached ??= (JSON.parse(fs.readFileSync(FLAMBY_SPLIT_FILE, 'utf8')) as { centres: Record<string, FlambyCentre> })
    .centres;
  return cached;
}

/** The fingerprint flamby-split.py computes: labelled rows (heart-disease files have no other) in file order. */
export function rowsSha256(table: RawTable): string {
  const text = table.rows.map((r) => r.map((v) => (Number.isNaN(v) ? 'NaN' : v.toFixed(1))).join(',')).join('\n');
  return createHash('sha256').update(text).digest('hex');
}

/** Which of FLamby's centres this table is, or a DataError. */
export function flambyCentreOf(table: RawTable): { site: string; centre: FlambyCentre } {
  const digest = rowsSha256(table);
  for (const [site, centre] of Object.entries(flambyCentres()))
    if (centre.rowsSha256 === digest) return { site, centre };
  throw new DataError(
    `data.preprocessing: flamby reproduces FLamby's split of the four heart-disease centres (data/heart-disease/); these ${table.rows.length} rows are none of them`,
    'DATA_INVALID',
  );
}

interface Encoded {
  /** Unscaled inputs of the complete rows, featureNames(cfg) order. */
  x: number[][];
  y: number[];
  test: boolean[];
}

/** Complete rows, one-hot encoded, each marked train or test by FLamby's split. */
function encodeRows(table: RawTable, cfg: CsvDataConfig, enc: FlambyEncoding, centre: FlambyCentre): Encoded {
  const used = cfg.columns
    .filter((c) => c !== cfg.label && !cfg.drop.includes(c))
    .map((c) => ({ c, j: table.columns.indexOf(c) }));
  const labelIdx = table.columns.indexOf(cfg.label);
  const testLines = new Set(centre.testLines);
  const out: Encoded = { x: [], y: [], test: [] };
  table.rows.forEach((row, i) => {
    // FLamby: df.drop([10, 11, 12], axis=1).dropna(axis=0): any missing value left drops the row.
    if (Number.isNaN(row[labelIdx]!) || used.some(({ j }) => Number.isNaN(row[j]!))) return;
    const x: number[] = [];
    for (const { c, j } of used) {
      const cats = cfg.categorical[c];
      if (cats) for (const v of cats) x.push(row[j] === v ? 1 : 0);
      else x.push(row[j]!);
    }
    out.x.push(x);
    out.y.push(enc.label(row[labelIdx]!));
    out.test.push(testLines.has(table.lines[i]!));
  });
  if (out.x.length !== centre.complete || out.test.filter(Boolean).length !== centre.test)
    throw new DataError(
      `data.preprocessing: flamby: ${out.x.length} complete rows, ${out.test.filter(Boolean).length} of them test rows; FLamby's centre ${centre.flambyCentre} has ${centre.complete} and ${centre.test} (is data.drop slope, ca, thal?)`,
      'DATA_INVALID',
    );
  return out;
}

/** Per-feature mean and sample standard deviation (n - 1, torch.std's default) of `rows`. */
export function meanStd(rows: number[][], width: number): { mean: number[]; std: number[] } {
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (const r of rows) for (let k = 0; k < width; k++) mean[k]! += r[k]! / rows.length;
  for (const r of rows) for (let k = 0; k < width; k++) std[k]! += (r[k]! - mean[k]!) ** 2;
  for (let k = 0; k < width; k++) std[k] = Math.sqrt(std[k]! / Math.max(1, rows.length - 1));
  return { mean, std };
}

function toExamples(
  x: number[][],
  y: number[],
  scale: { mean: number[]; std: number[] },
  width: number,
): FlambyExamples {
  const out = new Float32Array(x.length * width);
  x.forEach((r, i) => {
    for (let k = 0; k < width; k++) out[i * width + k] = (r[k]! - scale.mean[k]!) / (scale.std[k]! + EPS);
  });
  return { x: out, y: Int32Array.from(y), n: x.length };
}

/** One centre's train and test examples as FLamby's FedHeartDisease(center, train) gives them. */
export function prepareFlambySite(
  table: RawTable,
  cfg: CsvDataConfig,
  enc: FlambyEncoding,
): { train: FlambyExamples; test: FlambyExamples } {
  const { centre } = flambyCentreOf(table);
  const width = enc.names.length;
  const rows = encodeRows(table, cfg, enc, centre);
  const pick = (test: boolean) => {
    const idx = rows.test.flatMap((t, i) => (t === test ? [i] : []));
    return { x: idx.map((i) => rows.x[i]!), y: idx.map((i) => rows.y[i]!) };
  };
  const train = pick(false);
  const test = pick(true);
  const scale = meanStd(train.x, width);
  return { train: toExamples(train.x, train.y, scale, width), test: toExamples(test.x, test.y, scale, width) };
}

/**
 * FLamby's pooled training set (FedHeartDisease(train=True, pooled=True)): every centre's training
 * rows, standardised with the statistics of all of them together. (FLamby scores the pooled model on
 * each centre's own test set, standardised with that centre's statistics: prepareFlambySite's test.)
 */
export function flambyPooledTrain(tables: RawTable[], cfg: CsvDataConfig, enc: FlambyEncoding): FlambyExamples {
  const width = enc.names.length;
  const x: number[][] = [];
  const y: number[] = [];
  for (const table of tables) {
    const rows = encodeRows(table, cfg, enc, flambyCentreOf(table).centre);
    rows.test.forEach((t, i) => {
      if (t) return;
      x.push(rows.x[i]!);
      y.push(rows.y[i]!);
    });
  }
  return toExamples(x, y, meanStd(x, width), width);
}
