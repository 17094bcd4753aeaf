// Parquet adapter: reads a site's .parquet file into the same RawTable the CSV adapter produces.
// Columns come by name from the file's schema (so `data.header` does not apply), a null cell is
// missing (NaN) like an empty CSV cell, a string cell is read as the CSV path reads its text, and
// row i (0-based) gets line number i + 1: the site split keys on it as it keys on a CSV's lines.
//
// hyparquet (pure JS) reads asynchronously through its public API; a site's file is read whole and
// decoded synchronously here, column chunk by column chunk, with its exported column reader, so the
// callers (the worker's task loading, check-data, baselines, central evaluation) stay synchronous.
import fs from 'node:fs';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import { readColumn } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { getTreePath, isFlatColumn } from 'hyparquet/src/schema.js';
import type { FileMetaData } from 'hyparquet/src/types.js';
import type { CsvDataConfig } from '../config/schema.js';
import { DataError } from '../errors/index.js';
import { type Cell, type RawTable, tableFromCells } from './csv.js';

/** A site's file whose name ends so is read as Parquet. */
export function isParquetFile(file: string): boolean {
  return file.toLowerCase().endsWith('.parquet');
}

function readBuffer(file: string): ArrayBuffer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function metadataOf(file: string, ab: ArrayBuffer): FileMetaData {
  try {
    return parquetMetadata(ab);
  } catch (e) {
    throw new DataError(`${file}: not a readable Parquet file (${(e as Error).message})`, 'DATA_INVALID');
  }
}

/** Row count from the file's footer alone: what a worker declares in Hello. */
export function countParquetRows(file: string): number {
  return Number(metadataOf(file, readBuffer(file)).num_rows);
}

/** The file's top-level column names and its rows of cells, in file order. */
export function readParquetCells(file: string): { columns: string[]; cells: Cell[][] } {
  const ab = readBuffer(file);
  const metadata = metadataOf(file, ab);
  const tree = parquetSchema(metadata);
  const columns = tree.children.map((c) => c.element.name);
  const nested = tree.children.find((c) => c.children.length > 0 || c.element.repetition_type === 'REPEATED');
  if (nested)
    throw new DataError(
      `${file}: column ${nested.element.name} is nested or repeated; Accord reads flat columns only`,
      'DATA_INVALID',
    );
  const values: Cell[][] = columns.map(() => []);
  try {
    for (const group of metadata.row_groups) {
      const groupRows = Number(group.num_rows);
      group.columns.forEach((chunk) => {
        const meta = chunk.meta_data;
        if (!meta) throw new Error('column chunk without metadata');
        const j = columns.indexOf(meta.path_in_schema[0] ?? '');
        const schemaPath = getTreePath(tree, meta.path_in_schema);
        if (j < 0 || !isFlatColumn(schemaPath)) throw new Error(`unexpected column ${meta.path_in_schema.join('.')}`);
        const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
        const end = start + Number(meta.total_compressed_size);
        if (start < 0 || end > ab.byteLength) throw new Error('column chunk outside the file');
        const reader = { view: new DataView(ab, start, end - start), offset: 0 };
        const decoder = {
          pathInSchema: meta.path_in_schema,
          element: schemaPath[schemaPath.length - 1]!.element,
          schemaPath,
          type: meta.type,
          codec: meta.codec,
          parsers: DEFAULT_PARSERS,
        };
        const { data } = readColumn(
          reader,
          { groupStart: 0, selectStart: 0, selectEnd: groupRows, groupRows },
          decoder,
        );
        const out = values[j]!;
        let n = 0;
        for (const page of data)
          for (const v of Array.from(page as ArrayLike<unknown>)) {
            if (n++ < groupRows) out.push(v as Cell);
          }
        while (n++ < groupRows) out.push(null);
      });
    }
  } catch (e) {
    throw new DataError(`${file}: not a readable Parquet file (${(e as Error).message})`, 'DATA_INVALID');
  }
  const rows = values.length ? Math.min(...values.map((v) => v.length)) : 0;
  const cells: Cell[][] = [];
  for (let i = 0; i < rows; i++) cells.push(values.map((v) => v[i]!));
  return { columns, cells };
}

export function readParquetFile(file: string, cfg: CsvDataConfig): RawTable {
  const { columns, cells } = readParquetCells(file);
  return tableFromCells(columns, cells, (i) => i + 1, cfg, file);
}
