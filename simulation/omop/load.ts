// Loading the synthetic OMOP databases into a PostgreSQL server: one database per site (the tables of
// ddl.ts, the records of generate.ts), and a read-only login role that may connect to them and SELECT,
// nothing else, as a site gives Accord's worker.
import pg from 'pg';
import { OMOP_DDL } from './ddl.js';
import { type HeartSite, insertStatements, omopRecords, readUciSite } from './generate.js';

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
const text = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function withClient<T>(config: pg.ClientConfig, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/**
 * Creates database `database` (dropped first if it exists) and fills it with `site`'s synthetic OMOP
 * records. `admin(database)` gives a superuser's client settings on a database. Returns the persons.
 */
export async function loadOmopSite(
  admin: (database: string) => pg.ClientConfig,
  site: HeartSite,
  database = `omop_${site}`,
): Promise<number> {
  await withClient(admin('postgres'), async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${ident(database)}`);
    await c.query(`CREATE DATABASE ${ident(database)}`);
  });
  const records = omopRecords(readUciSite(site), site);
  await withClient(admin(database), async (c) => {
    await c.query('BEGIN');
    await c.query(OMOP_DDL);
    for (const sql of insertStatements(records)) await c.query(sql);
    await c.query('COMMIT');
    await c.query('ANALYZE');
  });
  return records.person.length;
}

/**
 * A login role `role` with `password` that may connect to `databases` and read their public tables,
 * and whose transactions are read-only by default: what a site's source file names.
 */
export async function createReadOnlyRole(
  admin: (database: string) => pg.ClientConfig,
  role: string,
  password: string,
  databases: string[],
): Promise<void> {
  await withClient(admin('postgres'), async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${ident(role)}`);
    await c.query(
      `CREATE ROLE ${ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${text(password)} CONNECTION LIMIT 20`,
    );
    await c.query(`ALTER ROLE ${ident(role)} SET default_transaction_read_only = on`);
  });
  for (const db of databases)
    await withClient(admin(db), async (c) => {
      await c.query(`REVOKE ALL ON DATABASE ${ident(db)} FROM PUBLIC`);
      await c.query(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${ident(role)}`);
      await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
      await c.query(`GRANT USAGE ON SCHEMA public TO ${ident(role)}`);
      await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ident(role)}`);
    });
}
