// A private PostgreSQL on a free loopback port, for simulations and tests, as redis-server.ts starts
// Redis: initdb into a temporary folder (local socket connections trusted, TCP ones by password),
// pg_ctl start with the unix socket in that folder, a probe until it answers, and stop() removes it
// all. As root (initdb refuses root), the server runs as the `postgres` user (or ACCORD_PG_USER).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DependencyError } from '../shared/errors/index.js';
import { freePort } from './redis-server.js';

export interface PrivatePostgres {
  /** 127.0.0.1: TCP connections there need a password (scram-sha-256) unless started with hostAuth trust. */
  host: string;
  port: number;
  /** The folder holding the server's unix socket: connections through it are trusted. */
  socketDir: string;
  /** The superuser initdb made (no password; through socketDir). */
  superuser: string;
  /** Client settings of the superuser through the socket, on `database` (default postgres). */
  admin(database?: string): pg.ClientConfig;
  stop(): Promise<void>;
}

const INSTALL =
  'install PostgreSQL (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql) or set PG_BIN to the folder holding initdb and pg_ctl';

/** The folder holding initdb, pg_ctl and postgres: PG_BIN, initdb on PATH, or Debian's /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const fromEnv = process.env['PG_BIN'];
  if (fromEnv) {
    if (!fs.existsSync(path.join(fromEnv, 'initdb')))
      throw new DependencyError(`PG_BIN=${fromEnv} holds no initdb: ${INSTALL}`);
    return fromEnv;
  }
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const bin = dir && path.join(dir, 'initdb');
    if (bin && fs.existsSync(bin)) return path.dirname(fs.realpathSync(bin));
  }
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian)
    ? fs
        .readdirSync(debian)
        .filter((v) => fs.existsSync(path.join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(debian, versions[0], 'bin');
  throw new DependencyError(`initdb was not found (on PATH or in ${debian}/*/bin): ${INSTALL}`);
}

/** Whether PostgreSQL's server programs are here; the reason when not. */
export function missingPostgres(): string | undefined {
  try {
    postgresBinDir();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The user the server runs as when this process is root: { uid, gid }, else undefined. */
function serverUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env['ACCORD_PG_USER'] ?? 'postgres';
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0)
    throw new DependencyError(
      `PostgreSQL refuses to run as root and there is no user "${name}" to run it as: create one or set ACCORD_PG_USER`,
    );
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()), name };
}

function run(bin: string, args: string[], user: ReturnType<typeof serverUser>, what: string): void {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    env: { ...process.env, LC_ALL: 'C' },
    timeout: 120_000,
  });
  if (r.error || r.status !== 0)
    throw new DependencyError(
      `${what} failed: ${r.error?.message ?? `exit ${r.status}`}: ${(r.stderr || r.stdout || '').trim().slice(-800)}`,
    );
}

export async function startPrivatePostgres(
  opts: { hostAuth?: 'scram-sha-256' | 'trust' } = {},
): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const superuser = 'accord';
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    run(
      path.join(bin, 'initdb'),
      [
        ...['-D', dataDir, '-U', superuser, '--encoding=UTF8', '--no-locale', '--no-sync'],
        ...['--auth-local=trust', `--auth-host=${opts.hostAuth ?? 'scram-sha-256'}`],
      ],
      user,
      'initdb',
    );
  } catch (e) {
    remove();
    throw e;
  }
  const port = await freePort();
  const settings = [
    ...['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  ].join(' ');
  const pgCtl = path.join(bin, 'pg_ctl');
  const stopServer = () => {
    spawnSync(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], {
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      stdio: 'ignore',
      timeout: 30_000,
    });
  };
  try {
    // -w: pg_ctl returns once the server accepts connections (or fails, with the log's tail).
    run(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', settings, 'start'], user, 'pg_ctl start');
  } catch (e) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().slice(-800) : '';
    stopServer();
    remove();
    throw new DependencyError(`${(e as Error).message}${log ? `\nserver log: ${log}` : ''}`);
  }
  const admin = (database = 'postgres'): pg.ClientConfig => ({ host: dir, port, user: superuser, database });
  // pg_ctl -w has seen it ready; one connection through the socket confirms what clients will use.
  const probe = new pg.Client(admin());
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (e) {
    stopServer();
    remove();
    throw new DependencyError(`PostgreSQL on port ${port} does not answer: ${(e as Error).message}`);
  } finally {
    await probe.end().catch(() => undefined);
  }
  return {
    host: '127.0.0.1',
    port,
    socketDir: dir,
    superuser,
    admin,
    stop: async () => {
      stopServer();
      remove();
    },
  };
}
