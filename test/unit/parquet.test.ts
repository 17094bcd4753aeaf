// Site data in Parquet: read into the same RawTable as the CSV path (by the file's extension), checked by
// `accord check-data` with the same summary, and a corrupt file refused with its name.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import { readCsvFile } from '../../shared/data/csv.js';
import { readParquetCells } from '../../shared/data/parquet.js';
import { countTableRows, readTableFile } from '../../shared/data/read-table.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-parquet-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const COLUMNS = HEART_DISEASE.experiment.data.columns;
const EXAMPLE = path.join(PACKAGE_ROOT, 'examples', 'heart-disease.yaml');

/** The CSV file as Parquet: numeric columns as nullable doubles (missing cells null), the label as strings. */
function csvToParquet(csv: string, out: string, rowGroupSize?: number): void {
  const lines = fs
    .readFileSync(csv, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(','));
  const missing = new Set(['?', 'NaN', 'nan', '']);
  parquetWriteFile({
    filename: out,
    columnData: COLUMNS.map((name, j) =>
      name === 'num'
        ? { name, data: lines.map((l) => l[j]!.trim()), type: 'STRING' as const }
        : {
            name,
            data: lines.map((l) => (missing.has(l[j]!.trim()) ? null : Number(l[j]))),
            type: 'DOUBLE' as const,
            nullable: true,
          },
    ),
    ...(rowGroupSize ? { rowGroupSize } : {}),
  });
}

function accord(args: string[]) {
  const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
    encoding: 'utf8',
    cwd: PACKAGE_ROOT,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cfg = parseExperiment(HEART_DISEASE.experiment).data as CsvDataConfig;

describe('Parquet site data', () => {
  it('a small file with a null and a string label reads as the same CSV does', () => {
    const small = { ...cfg, columns: ['a', 'b', 'num'], label: 'num', zeroMeansMissing: [] };
    const pq = path.join(dir, 'small.parquet');
    parquetWriteFile({
      filename: pq,
      columnData: [
        { name: 'a', data: [1.5, null, 3, 4], type: 'DOUBLE', nullable: true },
        { name: 'b', data: [10, 20, 30, 40], type: 'INT32' },
        { name: 'num', data: ['0', '1', null, '2'], type: 'STRING', nullable: true },
      ],
    });
    const csv = path.join(dir, 'small.csv');
    fs.writeFileSync(csv, '1.5,10,0\n?,20,1\n3,30,?\n4,40,2\n');
    const fromParquet = readTableFile(pq, small);
    expect(fromParquet).toEqual(readCsvFile(csv, small));
    expect(fromParquet.rows[1]![0]).toBeNaN();
    expect(fromParquet.lines).toEqual([1, 2, 4]);
    expect(fromParquet.unlabeled.lines).toEqual([3]);
    expect(countTableRows(pq)).toBe(4);
  });

  it('a real site file, written in several row groups, reads row for row as its CSV (and as hyparquet reads it)', async () => {
    const csv = HEART_DISEASE.sites.va;
    const pq = path.join(dir, 'va.parquet');
    csvToParquet(csv, pq, 37);
    expect(readTableFile(pq, cfg)).toEqual(readCsvFile(csv, cfg));
    // The synchronous reader agrees with hyparquet's own (asynchronous) one.
    const buf = fs.readFileSync(pq);
    const objects = await parquetReadObjects({
      file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
    });
    const { columns, cells } = readParquetCells(pq);
    expect(cells).toEqual(objects.map((o) => columns.map((c) => o[c])));
  });

  it('a column the experiment needs but the file lacks is named', () => {
    const pq = path.join(dir, 'lacks.parquet');
    parquetWriteFile({
      filename: pq,
      columnData: [
        { name: 'a', data: [1, 2], type: 'DOUBLE' },
        { name: 'num', data: [0, 1], type: 'DOUBLE' },
      ],
    });
    expect(() => readTableFile(pq, { ...cfg, columns: ['a', 'secret', 'num'], label: 'num' })).toThrow(
      new RegExp(`${pq}: header lacks column\\(s\\) secret`),
    );
  });

  it('accord check-data prints the same summary for the Parquet file as for the CSV', () => {
    const pq = path.join(dir, 'va-check.parquet');
    csvToParquet(HEART_DISEASE.sites.va, pq);
    const fromCsv = accord(['check-data', '--config', EXAMPLE, '--data', HEART_DISEASE.sites.va]);
    const fromPq = accord(['check-data', '--config', EXAMPLE, '--data', pq]);
    expect(fromCsv.code, fromCsv.stderr).toBe(0);
    expect(fromPq.code, fromPq.stderr).toBe(0);
    expect(fromPq.stdout).toMatch(/200 rows; classes 0: 51, 1: 149/);
    expect(fromPq.stdout.replace(pq, 'FILE')).toBe(fromCsv.stdout.replace(HEART_DISEASE.sites.va, 'FILE'));
  });

  it('a corrupt .parquet file gives a clear error naming the file', () => {
    const bad = path.join(dir, 'corrupt.parquet');
    fs.writeFileSync(bad, 'age,sex\n1,2\n'.repeat(10));
    expect(() => readTableFile(bad, cfg)).toThrow(new RegExp(`${bad}: not a readable Parquet file`));
    // Truncated: a real file's tail cut off.
    const good = path.join(dir, 'whole.parquet');
    csvToParquet(HEART_DISEASE.sites.va, good);
    const cut = path.join(dir, 'cut.parquet');
    const bytes = fs.readFileSync(good);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    expect(() => readTableFile(cut, cfg)).toThrow(new RegExp(`${cut}: not a readable Parquet file`));
    const r = accord(['check-data', '--config', EXAMPLE, '--data', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${bad}: not a readable Parquet file`);
  });
});
