// Query results kept in memory, by the absolute path of the source file that produced them. A SQL
// source is read asynchronously once (at worker start, or by check-data) and then read synchronously
// like any table file, for as long as the process runs: what the worker declares, trains and tests on
// is that one result.
import path from 'node:path';
import type { CsvDataConfig } from '../../config/schema.js';
import { DataError } from '../../errors/index.js';
import { type RawTable, tableFromCells } from '../csv.js';
import { checkNumericCells, type SqlTable } from './cells.js';

const loaded = new Map<string, SqlTable>();

export function rememberSqlTable(file: string, table: SqlTable): void {
  loaded.set(path.resolve(file), table);
}

export function forgetSqlTable(file: string): void {
  loaded.delete(path.resolve(file));
}

/** The result loaded from `file`; a DataError when it was not loaded in this process. */
export function loadedSqlTable(file: string): SqlTable {
  const t = loaded.get(path.resolve(file));
  if (!t)
    throw new DataError(
      `${file} is a SQL source whose query has not been run in this process: the worker runs it at start (AccordWorker.run) and check-data before checking; call loadSqlSource first`,
      'MISSING_FILE',
    );
  return t;
}

/** The loaded result read with the experiment's schema, as readCsvFile reads a file: row i is line i + 1. */
export function readSqlTable(file: string, cfg: CsvDataConfig): RawTable {
  const t = loadedSqlTable(file);
  return tableFromCells(t.columns, checkNumericCells(t, cfg, file), (i) => i + 1, cfg, file);
}

/** Rows the query returned: what a worker declares in Hello. */
export function countSqlRows(file: string): number {
  return loadedSqlTable(file).cells.length;
}
