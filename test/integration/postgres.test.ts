// Site data from PostgreSQL, for real: a private server (initdb + pg_ctl from the PostgreSQL binaries),
// one synthetic OMOP CDM database per heart-disease site made from the UCI rows, one read-only role,
// and each site's source file (connection + cohort query) as its --data. check-data reads it, four
// in-process workers train from it, and a query that writes, a wrong password or a value that is not
// a number fail with errors that name the problem and nothing of the rows.
// Skipped with the reason when PostgreSQL is not installed; under CI (ACCORD_CI=1) it runs and fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import { readTableFile } from '../../shared/data/read-table.js';
import { loadSqlSource } from '../../shared/data/sql/postgres.js';
import { createLogger } from '../../shared/log/logger.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { createReadOnlyRole, loadOmopSite } from '../../simulation/omop/load.js';
import { missingPostgres, type PrivatePostgres, startPrivatePostgres } from '../../simulation/postgres-server.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { AccordWorker } from '../../worker/client.js';
import { startFederation, type TestFederation } from '../helpers/federation.js';
import { UNDER_CI } from '../helpers/optional.js';

const SITES = ['cleveland', 'hungary', 'switzerland', 'va'] as const;
const TOKENS = Object.fromEntries(SITES.map((s) => [s, `token-${s}-pg-1234`]));
const COHORT = path.join(PACKAGE_ROOT, 'examples', 'omop', 'heart-disease-cohort.sql');
const PASSWORD_ENV = 'ACCORD_TEST_PG_PASSWORD';
const PASSWORD = 'reader-Pa55-7f3c';

const missing = missingPostgres();
const RUNS = !missing || UNDER_CI;
if (!RUNS) process.stderr.write(`skipped (needs postgresql): ${missing}\n`);

const heart = parseExperiment(HEART_DISEASE.experiment).data as CsvDataConfig;

describe.runIf(RUNS)('PostgreSQL site data (OMOP CDM)', () => {
  let server: PrivatePostgres;
  let fed: TestFederation | undefined;
  const workers: AccordWorker[] = [];
  let dir = '';
  const sourceOf = (site: string) => path.join(dir, `${site}.source.yaml`);

  /** A source file as a site writes it; `extra` lines replace or add top-level keys. */
  function writeSource(file: string, connection: Record<string, unknown>, query: string): string {
    fs.writeFileSync(
      file,
      `source: postgres\nconnection: ${JSON.stringify(connection)}\nquery: ${query}\nstatementTimeoutMs: 20000\n`,
    );
    return file;
  }
  const reader = (site: string) => ({
    host: '127.0.0.1',
    port: server.port,
    database: `omop_${site}`,
    user: 'accord_reader',
    passwordEnv: PASSWORD_ENV,
  });

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-pg-test-'));
    server = await startPrivatePostgres();
    for (const site of SITES) await loadOmopSite(server.admin, site);
    await createReadOnlyRole(
      server.admin,
      'accord_reader',
      PASSWORD,
      SITES.map((s) => `omop_${s}`),
    );
    fs.copyFileSync(COHORT, path.join(dir, 'cohort.sql'));
    for (const site of SITES) writeSource(sourceOf(site), reader(site), 'cohort.sql');
    process.env[PASSWORD_ENV] = PASSWORD;
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
    await server?.stop();
    delete process.env[PASSWORD_ENV];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the cohort query gives each site the rows of its UCI file', async () => {
    for (const site of SITES) {
      const loaded = await loadSqlSource(sourceOf(site));
      expect(loaded.columns).toEqual(heart.columns);
      expect(readTableFile(sourceOf(site), heart)).toEqual(readTableFile(HEART_DISEASE.sites[site], heart));
    }
  });

  it('accord check-data reads a SQL source', async () => {
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          ...ACCORD_ARGV,
          'check-data',
          ...['--config', path.join(PACKAGE_ROOT, 'examples', 'heart-disease.yaml')],
          ...['--data', sourceOf('cleveland')],
        ],
        { cwd: PACKAGE_ROOT, env: { ...process.env, [PASSWORD_ENV]: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.once('exit', (code) => resolve({ code, out }));
    });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/: 303 rows; classes 0: 164, 1: 139/);
    expect(run.out).toContain('ok: the file fits the experiment');
  }, 30_000);

  it('four sites train heart disease from PostgreSQL', async () => {
    fed = await startFederation(TOKENS);
    for (const site of SITES) {
      const trust = fed.trustOf(site);
      const w = new AccordWorker({
        coordinator: fed.address,
        site,
        token: TOKENS[site]!,
        dataFile: sourceOf(site),
        identity: trust.identity,
        roster: trust.roster,
        policy: trust.policy,
        approvalsDir: path.join(dir, 'approvals', site),
        log: createLogger(site, process.env['ACCORD_LOG_LEVEL'] ?? 'silent'),
      });
      void w.run().catch(() => undefined);
      await w.ready;
      workers.push(w);
    }
    const id = await fed.submit({ rounds: 4, clients: { min: 4, fraction: 1 } });
    const rec = await fed.waitFor(id, ['completed', 'failed'], 60_000);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const rounds = await fed.records.rounds(id);
    expect(rounds).toHaveLength(4);
    expect(rounds[3]!.participants).toEqual([...SITES].sort());
    expect(rounds[3]!.meanSiteAccuracy).toBeGreaterThan(0.7);
  }, 90_000);

  it('a query that writes fails: the transaction is read-only, even for a role that may write', async () => {
    fs.writeFileSync(
      path.join(dir, 'insert.sql'),
      "INSERT INTO concept VALUES (2100000000, 'x', 'Observation', 'x', 'x', NULL, 'x', '2000-01-01', '2099-12-31') RETURNING concept_id AS age",
    );
    // The superuser through the trusted socket: only the READ ONLY transaction stands in the way.
    const admin = { host: server.socketDir, port: server.port, database: 'omop_cleveland', user: server.superuser };
    const writes = writeSource(path.join(dir, 'writes.source.yaml'), admin, 'insert.sql');
    await expect(loadSqlSource(writes)).rejects.toThrow(
      /insert\.sql tried to write \(cannot execute INSERT in a read-only transaction\): a site's cohort query runs in a READ ONLY transaction/,
    );
    // Nor can a query file end the transaction first: one statement only.
    fs.writeFileSync(path.join(dir, 'commit.sql'), 'COMMIT; DELETE FROM concept');
    const commits = writeSource(path.join(dir, 'commits.source.yaml'), admin, 'commit.sql');
    await expect(loadSqlSource(commits)).rejects.toThrow(/cannot insert multiple commands into a prepared statement/);
    const c = await loadSqlSource(writeSource(path.join(dir, 'count.source.yaml'), admin, 'count.sql'), {}).catch(
      (e: Error) => e,
    );
    expect(String(c)).toMatch(/query: cannot read .*count\.sql: ENOENT/);
  });

  it('a wrong password: a clear error, with neither password in it', async () => {
    const file = sourceOf('hungary');
    const wrong = 'not-the-Pa55word-91';
    const e = await loadSqlSource(file, { [PASSWORD_ENV]: wrong }).catch((x: Error) => x);
    expect(String(e)).toMatch(
      /the server refused the login \(SQLSTATE 28P01\): check connection\.user and the password/,
    );
    expect(String(e)).not.toContain(wrong);
    expect(String(e)).not.toContain(PASSWORD);
    const unset = await loadSqlSource(file, {}).catch((x: Error) => x);
    expect(String(unset)).toMatch(
      /connection\.passwordEnv: the environment variable ACCORD_TEST_PG_PASSWORD is not set/,
    );
    // The worker refuses to start, before it connects to the coordinator.
    const w = new AccordWorker({
      coordinator: '127.0.0.1:1',
      site: 'hungary',
      token: 'x',
      dataFile: writeSource(
        path.join(dir, 'wrong.source.yaml'),
        { ...reader('hungary'), passwordEnv: 'ACCORD_TEST_PG_WRONG' },
        'cohort.sql',
      ),
      log: createLogger('x', 'silent'),
    });
    process.env['ACCORD_TEST_PG_WRONG'] = wrong;
    try {
      await expect(w.run()).rejects.toThrow(/refused the login/);
    } finally {
      delete process.env['ACCORD_TEST_PG_WRONG'];
      w.stop();
    }
  });

  it("errors name the row and column, never a value of the site's records", async () => {
    // A text column where a number is expected: row and column, not the text.
    fs.writeFileSync(
      path.join(dir, 'text.sql'),
      'SELECT person_id AS age, person_source_value AS sex, 1 AS num FROM person ORDER BY person_id',
    );
    const text = writeSource(path.join(dir, 'text.source.yaml'), reader('va'), 'text.sql');
    await loadSqlSource(text);
    const cfg = { ...heart, columns: ['age', 'sex', 'num'] };
    const e = (() => {
      try {
        readTableFile(text, cfg);
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e?.message).toMatch(/row 1: column sex is not a number \(its value is not shown/);
    expect(e?.message).not.toContain('va-1');
    // A data exception in the query: PostgreSQL's message would quote the value; only its class is shown.
    fs.writeFileSync(path.join(dir, 'cast.sql'), 'SELECT person_source_value::integer AS age FROM person');
    const cast = writeSource(path.join(dir, 'cast.source.yaml'), reader('va'), 'cast.sql');
    const c = await loadSqlSource(cast).catch((x: Error) => x);
    expect(String(c)).toMatch(/failed: an error of SQLSTATE class 22.*\(SQLSTATE 22P02\)/);
    expect(String(c)).not.toContain('va-');
    // A source that was never loaded in this process.
    const never = writeSource(path.join(dir, 'never.source.yaml'), reader('va'), 'cohort.sql');
    expect(() => readTableFile(never, heart)).toThrow(/has not been run in this process/);
  });
});
