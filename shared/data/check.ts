// Checking a site's data file against an experiment's data settings, locally: the same reading the
// worker does for a task, plus a per-column summary for the site's own eyes. Nothing is sent anywhere.
import type { DataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import { readCsvFile } from './csv.js';
import { labelOf } from './features.js';

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
}

/** Reads `file` as the experiment would; throws a DataError naming the line and column of a problem. */
export function checkSiteData(file: string, data: DataConfig): DataCheck {
  if (data.format !== 'csv')
    throw new DataError('check-data reads CSV files; IDX folders are checked when they load', 'WRONG_FORMAT');
  const table = readCsvFile(file, data);
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
