// Checking a site's data file against an experiment's data settings, locally: the same reading the
// worker does for a task, plus a per-column summary for the site's own eyes. Nothing is sent anywhere.

import fs from 'node:fs';
import type { CsvDataConfig, DataConfig, IdxDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import { parseCsv, type RawTable } from './csv.js';
import { labelOf } from './features.js';
import { loadImageSite, readImageSet } from './images.js';
import { isParquetFile } from './parquet.js';
import { readTableFile } from './read-table.js';

export interface ColumnSummary {
  name: string;
  present: number;
  missing: number;
  min: number | undefined;
  max: number | undefined;
}

export interface DataCheck {
  rows: number;
  /** Rows per label class (after binarising). */
  classes: Record<string, number>;
  columns: ColumnSummary[];
  /** Height, width, channels of every image (image data only; `columns` is then empty). */
  imageShape?: [number, number, number];
}

/** Reads `file` as the experiment would; throws a DataError naming the line and column of a problem. */
export function checkSiteData(file: string, data: DataConfig): DataCheck {
  if (data.format === 'idx') return checkImages(file, data);
  if (data.format !== 'csv')
    throw new DataError('check-data reads CSV or Parquet files, IDX folders and image folders', 'WRONG_FORMAT');
  let table: RawTable;
  try {
    table = readTableFile(file, data);
  } catch (e) {
    // Listing every bad line reads text: a Parquet file's first problem is reported alone.
    if (e instanceof DataError && e.code === 'DATA_INVALID' && !isParquetFile(file)) throw everyProblem(file, data, e);
    throw e;
  }
  if (table.rows.length === 0) throw new DataError(`${file}: no rows with a label`, 'DATA_INVALID');
  const labelIdx = table.columns.indexOf(data.label);
  const classes: Record<string, number> = {};
  for (const row of table.rows) {
    const c = String(labelOf(row[labelIdx] ?? NaN, data));
    classes[c] = (classes[c] ?? 0) + 1;
  }
  const columns = data.columns.map((name) => {
    const j = table.columns.indexOf(name);
    const values = table.rows.map((r) => r[j] ?? NaN).filter((v) => !Number.isNaN(v));
    return {
      name,
      present: values.length,
      missing: table.rows.length - values.length,
      min: values.length ? Math.min(...values) : undefined,
      max: values.length ? Math.max(...values) : undefined,
    };
  });
  return { rows: table.rows.length, classes, columns };
}

/** An IDX or image folder, read as a worker reads it (shapes, class folders), counted per class. */
function checkImages(dir: string, data: IdxDataConfig): DataCheck {
  if (!fs.statSync(dir).isDirectory())
    throw new DataError(
      `${dir} is not a folder: data.format idx reads a folder of IDX files or of class folders of images`,
      'WRONG_FORMAT',
    );
  loadImageSite(dir, data);
  const set = readImageSet(dir, 'train', data);
  const counts = new Map<number, number>();
  for (const l of set.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const classes: Record<string, number> = {};
  for (const [l, n] of [...counts].sort((a, b) => a[0] - b[0])) classes[data.labels?.[l] ?? String(l)] = n;
  return { rows: set.count, classes, columns: [], imageShape: data.imageShape };
}

/** Bad lines listed at most, after the first. */
const MORE = 20;

/**
 * The first problem, then every other bad line (up to MORE) and a hint when the file looks like it
 * has a header the config does not expect, or `;` separators: one run of check-data shows them all.
 */
function everyProblem(file: string, data: CsvDataConfig, first: DataError): DataError {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = data.header ? lines.shift() : undefined;
  const bad: string[] = [];
  let count = 0;
  lines.forEach((line, i) => {
    try {
      parseCsv(header === undefined ? line : `${header}\n${line}`, data, file);
    } catch (e) {
      count++;
      const lineNo = i + 1 + (header === undefined ? 0 : 1);
      if (bad.length <= MORE) bad.push(`${lineNo} (${(e as Error).message.replace(/^.*?:\d+: /, '')})`);
    }
  });
  const hints: string[] = [];
  const firstCells = (header ?? lines[0] ?? '').split(',');
  if (
    !data.header &&
    firstCells.some((c) => c.trim() !== '' && !Number.isFinite(Number(c.trim())) && !data.missing.includes(c.trim()))
  )
    hints.push('the first line looks like a header: set data.header: true');
  if (lines.slice(0, 5).some((l) => l.split(';').length > l.split(',').length))
    hints.push("cells seem separated by ';': Accord reads comma-separated files");
  const more = bad.slice(1);
  const text = [
    first.message,
    ...(count > 1 ? [`${count} bad lines in all: ${more.join('; ')}${count - 1 > more.length ? '; ...' : ''}`] : []),
    ...hints.map((h) => `hint: ${h}`),
  ].join('; ');
  return new DataError(text, 'DATA_INVALID');
}
