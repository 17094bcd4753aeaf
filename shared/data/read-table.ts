// Which adapter reads a site's tabular file: by its name's extension, since the file is the site's own
// choice while the experiment's columns and label stay the same. To add a format, write an adapter
// returning a RawTable (as csv.ts and parquet.ts do) and add its extension here.
import type { CsvDataConfig } from '../config/schema.js';
import { countRows, type RawTable, readCsvFile } from './csv.js';
import { countParquetRows, isParquetFile, readParquetFile } from './parquet.js';

export function readTableFile(file: string, cfg: CsvDataConfig): RawTable {
  return isParquetFile(file) ? readParquetFile(file, cfg) : readCsvFile(file, cfg);
}

/** Rows in a site's file before any experiment (what Hello declares). */
export function countTableRows(file: string, header = false): number {
  return isParquetFile(file) ? countParquetRows(file) : countRows(file, header);
}
