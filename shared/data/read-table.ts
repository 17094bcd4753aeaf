// Which adapter reads a site's tabular file: by its name's extension, since the file is the site's own
// choice while the experiment's columns and label stay the same. To add a format, write an adapter
// returning a RawTable (as csv.ts and parquet.ts do) and add its extension here. A SQL source file
// (.yaml, sql/source-config.ts) is read from its query's result, loaded once beforehand (sql/postgres.ts).
import type { CsvDataConfig } from '../config/schema.js';
import { countRows, type RawTable, readCsvFile } from './csv.js';
import { countParquetRows, isParquetFile, readParquetFile } from './parquet.js';
import { countSqlRows, readSqlTable } from './sql/loaded.js';
import { isSqlSourceFile } from './sql/source-config.js';

export function readTableFile(file: string, cfg: CsvDataConfig): RawTable {
  if (isSqlSourceFile(file)) return readSqlTable(file, cfg);
  return isParquetFile(file) ? readParquetFile(file, cfg) : readCsvFile(file, cfg);
}

/** Rows in a site's file before any experiment (what Hello declares). */
export function countTableRows(file: string, header = false): number {
  if (isSqlSourceFile(file)) return countSqlRows(file);
  return isParquetFile(file) ? countParquetRows(file) : countRows(file, header);
}
