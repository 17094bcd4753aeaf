// A query result as cells: every value as PostgreSQL's text for it (what a CSV file would hold), NULL
// as a missing cell, booleans as 1 and 0. Checking that cells are numbers happens here, before the
// shared table reader sees them, so that an error names the row and the column but never the value:
// nothing from a site's records leaves it, error texts included.
import type { CsvDataConfig } from '../../config/schema.js';
import { DataError } from '../../errors/index.js';
import type { Cell } from '../csv.js';

/** PostgreSQL's type id of boolean. */
const BOOL_OID = 16;

export interface SqlTable {
  /** Column names in the query's order. */
  columns: string[];
  /** rows[i][j]: the text of row i's column j, null when NULL. */
  cells: (string | null)[][];
}

/** One cell from the text PostgreSQL sends (`raw`) and its column's type id. */
export function sqlCell(raw: unknown, typeId: number): string | null {
  if (raw === null || raw === undefined) return null;
  const text = typeof raw === 'string' ? raw : String(raw);
  if (typeId === BOOL_OID) return text === 't' || text === 'true' ? '1' : '0';
  return text;
}

/** A result's fields and rows (arrays of raw text) as a SqlTable; duplicate column names are refused. */
export function sqlTable(fields: { name: string; dataTypeID: number }[], rows: unknown[][], source: string): SqlTable {
  const columns = fields.map((f) => f.name);
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice !== undefined)
    throw new DataError(`${source}: the query yields column ${twice} twice; name each column once (AS ...)`);
  return { columns, cells: rows.map((r) => fields.map((f, j) => sqlCell(r[j], f.dataTypeID))) };
}

/**
 * Every cell must be a number, a missing value of the experiment's (`data.missing`) or NULL. The
 * first that is not is reported by its row (1-based, in the query's order) and column, not its value.
 */
export function checkNumericCells(table: SqlTable, cfg: CsvDataConfig, source: string): Cell[][] {
  const missing = new Set(cfg.missing);
  table.cells.forEach((row, i) => {
    row.forEach((c, j) => {
      if (c === null) return;
      const t = c.trim();
      if (missing.has(t) || (t !== '' && Number.isFinite(Number(t)))) return;
      const column = table.columns[j] ?? String(j + 1);
      throw new DataError(
        `${source}: row ${i + 1}: column ${column} is not a number (its value is not shown: a site's records stay at the site); cast it in the query or return NULL`,
        'DATA_INVALID',
        { line: i + 1, ...(cfg.columns.includes(column) ? { column } : {}) },
      );
    });
  });
  return table.cells;
}
