// Running a site's cohort query on PostgreSQL (the `pg` client) and keeping its result in memory
// (loaded.ts). The query runs once, in a READ ONLY transaction with a statement timeout, through the
// extended protocol (one statement: a query file cannot end the transaction and write). Errors name
// the source file, the server and the SQLSTATE; PostgreSQL's own message is quoted only for classes
// that name schema objects, never for data exceptions, whose messages can quote a value.
import fs from 'node:fs';
import pg from 'pg';
import { ConfigError, DataError, DependencyError } from '../../errors/index.js';
import { type SqlTable, sqlTable } from './cells.js';
import { rememberSqlTable } from './loaded.js';
import { isSqlSourceFile, readSqlSourceFile, type SqlSource } from './source-config.js';

/** Every value as the text PostgreSQL sends: cells are read as a CSV file's are (cells.ts). */
const AS_TEXT = { getTypeParser: () => (v: string) => v };

/** SQLSTATE classes whose messages name objects or settings, not values: quoted in errors. */
const QUOTABLE = new Set(['08', '0A', '25', '28', '3D', '3F', '42', '53', '54', '57']);

function where(s: SqlSource): string {
  return `${s.file} (postgres ${s.connection.user}@${s.connection.host}:${s.connection.port}/${s.connection.database})`;
}

function sslOption(s: SqlSource): pg.ClientConfig['ssl'] {
  const c = s.connection;
  if (c.ssl === 'disable') return false;
  if (c.ssl === 'require') return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    ...(c.sslRootCert ? { ca: fs.readFileSync(c.sslRootCert, 'utf8') } : {}),
  };
}

/** An error of connecting or querying, as an Accord error whose text holds no value from a row. */
export function describePgError(e: unknown, s: SqlSource, stage: 'connect' | 'query'): Error {
  const err = e as { code?: string; message?: string; position?: string };
  const code = typeof err.code === 'string' ? err.code : '';
  const at = where(s);
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    if (code === '28P01' || code === '28000')
      return new ConfigError(
        `${at}: the server refused the login (SQLSTATE ${code}): check connection.user and the password in ${s.connection.password === undefined ? 'connection.passwordEnv or passwordFile (none is set)' : 'connection.passwordEnv or passwordFile'}`,
      );
    if (code === '3D000') return new ConfigError(`${at}: connection.database: ${err.message} (SQLSTATE ${code})`);
    if (code === '25006')
      return new DataError(
        `${at}: the query in ${s.queryFile} tried to write (${err.message}): a site's cohort query runs in a READ ONLY transaction and may only read`,
        'DATA_INVALID',
      );
    if (code === '57014')
      return new DataError(
        `${at}: the query in ${s.queryFile} was cancelled after statementTimeoutMs (${s.statementTimeoutMs} ms) (SQLSTATE ${code})`,
        'DATA_INVALID',
      );
    const pos = err.position ? ` at character ${err.position}` : '';
    const text = QUOTABLE.has(cls)
      ? `${err.message}${pos}`
      : `an error of SQLSTATE class ${cls}${pos}; its message is not shown since it may quote a value of the site's records`;
    return stage === 'connect'
      ? new DependencyError(`${at}: cannot connect: ${text} (SQLSTATE ${code})`)
      : new DataError(`${at}: the query in ${s.queryFile} failed: ${text} (SQLSTATE ${code})`, 'DATA_INVALID');
  }
  const msg = err.message ?? String(e);
  if (/password must be a string/i.test(msg))
    return new ConfigError(
      `${at}: the server asks for a password: set connection.passwordEnv or connection.passwordFile in ${s.file}`,
    );
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENOENT')
    return new DependencyError(`${at}: cannot connect: ${code}; is PostgreSQL running there?`);
  if (/timeout/i.test(msg))
    return new DependencyError(
      `${at}: cannot connect within connection.connectTimeoutMs (${s.connection.connectTimeoutMs} ms)`,
      'TIMEOUT',
    );
  return stage === 'connect'
    ? new DependencyError(`${at}: cannot connect: ${code || msg}`)
    : new DataError(`${at}: the query in ${s.queryFile} failed: ${code || msg}`, 'DATA_INVALID');
}

/** Runs the source's query once, read-only, and returns its result as text cells. */
export async function runSqlSource(s: SqlSource): Promise<SqlTable> {
  const c = s.connection;
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    ...(c.password !== undefined ? { password: c.password } : {}),
    ssl: sslOption(s),
    connectionTimeoutMillis: c.connectTimeoutMs,
    application_name: 'accord-worker',
  });
  // An error after connecting (the server going away) rejects the pending query; this keeps it from
  // also being an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw describePgError(e, s, 'connect');
  }
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(s.statementTimeoutMs)}`);
    const result = await client.query({
      text: s.query,
      rowMode: 'array',
      types: AS_TEXT,
      // One statement through the extended protocol: "COMMIT; INSERT ..." is refused by the server.
      queryMode: 'extended',
    } as pg.QueryArrayConfig);
    await client.query('COMMIT');
    return sqlTable(result.fields, result.rows as unknown[][], s.file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw describePgError(e, s, 'query');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Reads the source file, runs its query and keeps the result for readTableFile; returns its size. */
export async function loadSqlSource(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ rows: number; columns: string[] }> {
  const s = readSqlSourceFile(file, env);
  const table = await runSqlSource(s);
  rememberSqlTable(s.file, table);
  return { rows: table.cells.length, columns: table.columns };
}

/** loadSqlSource when `file` is a SQL source file; undefined for any other data file. */
export async function preloadSiteSource(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ rows: number; columns: string[] } | undefined> {
  return isSqlSourceFile(file) ? loadSqlSource(file, env) : undefined;
}
