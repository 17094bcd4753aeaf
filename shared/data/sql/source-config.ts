// A site's SQL source file (`--data cohort.source.yaml`): which database the site's worker reads and
// the cohort query it runs there. The site owns both: the coordinator never sends SQL, and the
// experiment only names the columns the query must yield. Paths are relative to the YAML's folder;
// the password comes from the environment or a file, never from the YAML itself.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../../config/load.js';
import { ConfigError } from '../../errors/index.js';

/** A site's data file whose name ends so is a SQL source file, not a table. */
export function isSqlSourceFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

const connectionSchema = z
  .object({
    /** Host name, or a folder holding the server's unix socket (starts with "/"). */
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5432),
    database: z.string().min(1),
    /** A role that may only read the tables the query needs. */
    user: z.string().min(1),
    /** The name of an environment variable holding the password. */
    passwordEnv: z.string().min(1).optional(),
    /** A file holding the password (its first line; relative to the source file's folder). */
    passwordFile: z.string().min(1).optional(),
    /** disable: plain TCP (a local socket or a trusted network); require: TLS; verify-full: TLS checked against sslRootCert or the system's CAs. */
    ssl: z.enum(['disable', 'require', 'verify-full']).default('disable'),
    /** A CA certificate (PEM) the server's certificate must chain to (verify-full). */
    sslRootCert: z.string().min(1).optional(),
    connectTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict()
  .refine((c) => !(c.passwordEnv && c.passwordFile), {
    message: 'give passwordEnv or passwordFile, not both',
    path: ['passwordEnv'],
  });

export const sqlSourceSchema = z
  .object({
    source: z.literal('postgres'),
    connection: connectionSchema,
    /** The cohort query: a file holding one SELECT (relative to the source file's folder). */
    query: z.string().min(1),
    /** The query is cancelled after this long. */
    statementTimeoutMs: z.number().int().positive().default(60_000),
  })
  .strict();

export type SqlSourceInput = z.input<typeof sqlSourceSchema>;

/** A source file read and checked: paths resolved, the password and the query read. */
export interface SqlSource {
  /** The source file's absolute path: what the loaded table is kept under. */
  file: string;
  connection: {
    host: string;
    port: number;
    database: string;
    user: string;
    password: string | undefined;
    ssl: 'disable' | 'require' | 'verify-full';
    sslRootCert: string | undefined;
    connectTimeoutMs: number;
  };
  queryFile: string;
  query: string;
  statementTimeoutMs: number;
}

function readText(file: string, what: string, source: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `${source}: ${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** Checks a parsed source file's contents; `file` is its path, the folder relative paths start from. */
export function parseSqlSource(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): SqlSource {
  const abs = path.resolve(file);
  const r = sqlSourceSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(`${abs}: ${formatIssues(r.error.issues)}`);
  const s = r.data;
  const dir = path.dirname(abs);
  const c = s.connection;
  let password: string | undefined;
  if (c.passwordEnv !== undefined) {
    password = env[c.passwordEnv];
    if (password === undefined)
      throw new ConfigError(`${abs}: connection.passwordEnv: the environment variable ${c.passwordEnv} is not set`);
  } else if (c.passwordFile !== undefined) {
    password = readText(path.resolve(dir, c.passwordFile), 'connection.passwordFile', abs).split(/\r?\n/)[0];
  }
  const queryFile = path.resolve(dir, s.query);
  const query = readText(queryFile, 'query', abs);
  if (query.trim() === '') throw new ConfigError(`${abs}: query: ${queryFile} is empty`);
  return {
    file: abs,
    connection: {
      host: c.host,
      port: c.port,
      database: c.database,
      user: c.user,
      password,
      ssl: c.ssl,
      sslRootCert: c.sslRootCert === undefined ? undefined : path.resolve(dir, c.sslRootCert),
      connectTimeoutMs: c.connectTimeoutMs,
    },
    queryFile,
    query,
    statementTimeoutMs: s.statementTimeoutMs,
  };
}

/** Reads and checks a site's source file; a ConfigError names the key that is wrong. */
export function readSqlSourceFile(file: string, env: NodeJS.ProcessEnv = process.env): SqlSource {
  const abs = path.resolve(file);
  const text = readText(abs, 'SQL source file', abs);
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (e) {
    throw new ConfigError(`${abs}: not valid YAML: ${(e as Error).message}`);
  }
  return parseSqlSource(raw, abs, env);
}
