// The SQL source file (its schema, paths, password) and how a query result becomes cells and a
// table: text as a CSV gives it, NULL missing, booleans 1/0, errors naming row and column only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import { countTableRows, readTableFile } from '../../shared/data/read-table.js';
import { checkNumericCells, sqlCell, sqlTable } from '../../shared/data/sql/cells.js';
import { forgetSqlTable, rememberSqlTable } from '../../shared/data/sql/loaded.js';
import { describePgError } from '../../shared/data/sql/postgres.js';
import { isSqlSourceFile, readSqlSourceFile } from '../../shared/data/sql/source-config.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { omopRecords, parseUciRows } from '../../simulation/omop/generate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-pg-unit-'));
fs.writeFileSync(path.join(dir, 'q.sql'), 'SELECT 1 AS num');
fs.writeFileSync(path.join(dir, 'pw'), 'from-file\nignored\n');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function source(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, 's.source.yaml');
  fs.writeFileSync(file, yaml);
  return readSqlSourceFile(file, env);
}

describe('SQL source file', () => {
  it('is chosen by the .yaml/.yml extension', () => {
    expect(isSqlSourceFile('a/site.source.yaml')).toBe(true);
    expect(isSqlSourceFile('a/site.YML')).toBe(true);
    expect(isSqlSourceFile('a/site.csv')).toBe(false);
    expect(isSqlSourceFile('a/site.parquet')).toBe(false);
  });

  it('resolves paths from its folder, reads the password from the environment or a file, and defaults', () => {
    const s = source(
      'source: postgres\nconnection: { host: db, database: omop, user: r, passwordEnv: PW }\nquery: q.sql\n',
      { PW: 'secret' },
    );
    expect(s.queryFile).toBe(path.join(dir, 'q.sql'));
    expect(s.query).toBe('SELECT 1 AS num');
    expect(s.connection).toMatchObject({ host: 'db', port: 5432, password: 'secret', ssl: 'disable' });
    expect(s.statementTimeoutMs).toBe(60_000);
    const f = source(
      'source: postgres\nconnection: { host: db, database: omop, user: r, passwordFile: pw }\nquery: q.sql\n',
    );
    expect(f.connection.password).toBe('from-file');
    const none = source('source: postgres\nconnection: { host: /run/pg, database: omop, user: r }\nquery: q.sql\n');
    expect(none.connection.password).toBeUndefined();
  });

  it('names the key that is wrong', () => {
    const base = 'connection: { host: db, database: omop, user: r }\nquery: q.sql\n';
    expect(() => source(`source: mysql\n${base}`)).toThrow(/s\.source\.yaml: source: /);
    expect(() => source('source: postgres\nconnection: { host: db, user: r }\nquery: q.sql\n')).toThrow(
      /connection\.database: /,
    );
    expect(() => source(`source: postgres\n${base}password: x\n`)).toThrow(/password/);
    expect(() =>
      source('source: postgres\nconnection: { host: db, database: d, user: r, port: 0 }\nquery: q.sql\n'),
    ).toThrow(/connection\.port: /);
    expect(() =>
      source(
        'source: postgres\nconnection: { host: db, database: d, user: r, passwordEnv: A, passwordFile: pw }\nquery: q.sql\n',
      ),
    ).toThrow(/connection\.passwordEnv: give passwordEnv or passwordFile, not both/);
    expect(() =>
      source('source: postgres\nconnection: { host: db, database: d, user: r, passwordEnv: NOPE }\nquery: q.sql\n'),
    ).toThrow(/connection\.passwordEnv: the environment variable NOPE is not set/);
    expect(() => source('source: postgres\nconnection: { host: db, database: d, user: r }\nquery: none.sql\n')).toThrow(
      /query: cannot read .*none\.sql: ENOENT/,
    );
  });
});

describe('query results as tables', () => {
  const cfg = { ...(parseExperiment(HEART_DISEASE.experiment).data as CsvDataConfig), columns: ['a', 'b', 'num'] };
  cfg.label = 'num';
  const fields = ['a', 'b', 'num'].map((name) => ({ name, dataTypeID: name === 'b' ? 16 : 1700 }));

  it('cells are text, NULL is missing, booleans are 1 and 0', () => {
    expect(sqlCell(null, 1700)).toBeNull();
    expect(sqlCell('2.30', 1700)).toBe('2.30');
    expect(sqlCell('t', 16)).toBe('1');
    expect(sqlCell('f', 16)).toBe('0');
    const t = sqlTable(
      fields,
      [
        ['1.5', 't', '0'],
        [null, 'f', '2'],
        ['3', null, null],
      ],
      'x',
    );
    const file = path.join(dir, 'loaded.yaml');
    rememberSqlTable(file, t);
    const table = readTableFile(file, cfg);
    expect(table.columns).toEqual(['a', 'b', 'num']);
    expect(table.rows).toEqual([
      [1.5, 1, 0],
      [NaN, 0, 2],
    ]);
    expect(table.lines).toEqual([1, 2]);
    expect(table.unlabeled.lines).toEqual([3]);
    expect(countTableRows(file)).toBe(3);
    forgetSqlTable(file);
    expect(() => readTableFile(file, cfg)).toThrow(/has not been run in this process/);
  });

  it('a value that is no number is named by row and column, not shown', () => {
    const t = sqlTable(fields.slice(0, 1), [['4'], ['Jane Doe 1961-02-03']], 'src');
    expect(() => checkNumericCells(t, cfg, 'src')).toThrow(/^src: row 2: column a is not a number/);
    expect(() => checkNumericCells(t, cfg, 'src')).not.toThrow(/Jane/);
    expect(checkNumericCells(sqlTable(fields.slice(0, 1), [['?'], [null]], 'src'), cfg, 'src')).toEqual([
      ['?'],
      [null],
    ]);
    expect(() => sqlTable([fields[0]!, fields[0]!], [], 'src')).toThrow(/column a twice/);
  });

  it("PostgreSQL's message is quoted for schema errors, never for data exceptions", () => {
    const s = source('source: postgres\nconnection: { host: db, database: omop, user: r }\nquery: q.sql\n');
    const data = describePgError(
      { code: '22P02', message: 'invalid input syntax for type integer: "Jane Doe"' },
      s,
      'query',
    );
    expect(data.message).toMatch(/SQLSTATE class 22.*\(SQLSTATE 22P02\)/);
    expect(data.message).not.toContain('Jane');
    const schema = describePgError({ code: '42P01', message: 'relation "persons" does not exist' }, s, 'query');
    expect(schema.message).toMatch(/relation "persons" does not exist \(SQLSTATE 42P01\)/);
    expect(describePgError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, s, 'connect').message).toMatch(
      /cannot connect: ECONNREFUSED; is PostgreSQL running there\?/,
    );
  });
});

describe('synthetic OMOP records', () => {
  it('are deterministic, one person per UCI row, and a missing value is no record', () => {
    const rows = parseUciRows('63,1,1,145,233,1,2,150,0,2.3,3,?,6,0\n40,0,4,NaN,0,0,0,170,1,1,2,0,7,2\n');
    const a = omopRecords(rows, 'cleveland');
    expect(omopRecords(rows, 'cleveland')).toEqual(a);
    expect(a.person).toHaveLength(2);
    expect(a.person.map((p) => p[1])).toEqual([8507, 8532]);
    const person2 = a.measurement.filter((m) => m[1] === 2).map((m) => m[8]);
    expect(person2).not.toContain('trestbps');
    expect(person2).not.toContain('chol');
    expect(a.measurement.filter((m) => m[1] === 1 && m[8] === 'ca')).toHaveLength(0);
    const glucose = a.measurement.filter((m) => m[8] === 'fbs').map((m) => m[5] as number);
    expect(glucose[0]).toBeGreaterThan(120);
    expect(glucose[1]).toBeLessThanOrEqual(120);
  });
});
