// CSV adapter: reads a site's file into numeric rows according to the experiment's data schema.
// Missing cells become NaN here; filling them is a site-local step (see features.ts).
import fs from 'node:fs';
import type { CsvDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';

export interface RawTable {
  /** Column names in file order. */
  columns: string[];
  /** rows[i][j]: value of column j, NaN when missing. Rows with a label only. */
  rows: number[][];
  /** rows[i]'s line number in the file (1-based, the header counted): what the site split keys on. */
  lines: number[];
  /**
   * Rows without a label, kept apart: no model uses them, but the site's column statistics cover its
   * training lines whatever the experiment's label is, so choosing a label cannot move the row set.
   */
  unlabeled: { rows: number[][]; lines: number[] };
}

export function parseCsv(text: string, cfg: CsvDataConfig, source = 'data'): RawTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let columns = cfg.columns;
  if (cfg.header) {
    if (lines.length === 0) throw new DataError(`${source}: empty file, expected a header line`);
    columns = lines
      .shift()!
      .split(',')
      .map((c) => c.trim());
  }
  const offset = cfg.header ? 2 : 1;
  return tableFromCells(
    columns,
    lines.map((l) => l.split(',')),
    (i) => i + offset,
    cfg,
    source,
    cfg.header,
  );
}

/** One cell as an adapter reads it: text (CSV, a string column), a number, or null when absent. */
export type Cell = string | number | bigint | boolean | null | undefined;

/**
 * The format-independent part of reading a site's table: checks the experiment's columns and label
 * are there, turns cells into numbers (NaN when missing) and keeps unlabeled rows apart. `lineOf(i)`
 * is row i's line number, what the site split keys on; `named`: whether `columns` came from the file.
 */
export function tableFromCells(
  columns: string[],
  cells: Cell[][],
  lineOf: (i: number) => number,
  cfg: CsvDataConfig,
  source: string,
  named = true,
): RawTable {
  if (named) {
    const missingCols = cfg.columns.filter((c) => c !== cfg.label && !columns.includes(c));
    if (missingCols.length)
      throw new DataError(`${source}: header lacks column(s) ${missingCols.join(', ')}`, 'MISSING_COLUMN', {
        line: 1,
        ...(missingCols[0] !== undefined ? { column: missingCols[0] } : {}),
      });
  }
  if (!columns.includes(cfg.label))
    throw new DataError(
      `${source}: label column "${cfg.label}" is missing (columns: ${columns.join(', ')})`,
      'MISSING_LABEL_COLUMN',
    );
  const missing = new Set(cfg.missing);
  const zeroMissing = new Set(cfg.zeroMeansMissing.map((c) => columns.indexOf(c)).filter((i) => i >= 0));
  const labelIdx = columns.indexOf(cfg.label);
  const rows: number[][] = [];
  const rowLines: number[] = [];
  const unlabeled: RawTable['unlabeled'] = { rows: [], lines: [] };
  cells.forEach((line, i) => {
    const lineNo = lineOf(i);
    if (line.length !== columns.length)
      throw new DataError(`${source}:${lineNo}: ${line.length} cells, expected ${columns.length}`, 'DATA_INVALID', {
        line: lineNo,
      });
    const row = line.map((c, j) => {
      let v: number;
      if (c === null || c === undefined) return NaN;
      if (typeof c === 'string') {
        const t = c.trim();
        if (missing.has(t)) return NaN;
        v = Number(t);
      } else v = Number(c);
      if (!Number.isFinite(v)) {
        if (typeof c === 'number' && Number.isNaN(c)) return NaN;
        // Only a column the experiment names may be reported: a header of the site's own could say anything.
        const column = columns[j];
        throw new DataError(
          `${source}:${lineNo}: column ${column} has non-numeric value "${String(c).trim()}"`,
          'DATA_INVALID',
          {
            line: lineNo,
            ...(column !== undefined && cfg.columns.includes(column) ? { column } : {}),
          },
        );
      }
      return zeroMissing.has(j) && v === 0 ? NaN : v;
    });
    // A row without a label cannot be used for training or testing; kept apart rather than guessed.
    if (Number.isNaN(row[labelIdx]!)) {
      unlabeled.rows.push(row);
      unlabeled.lines.push(lineNo);
      return;
    }
    rows.push(row);
    rowLines.push(lineNo);
  });
  return { columns, rows, lines: rowLines, unlabeled };
}

export function readCsvFile(file: string, cfg: CsvDataConfig): RawTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseCsv(text, cfg, file);
}

/** Counts data rows without parsing the schema: what a worker declares in Hello before any experiment. */
export function countRows(file: string, header = false): number {
  const n = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '').length;
  return header ? Math.max(0, n - 1) : n;
}
