// A private redis-server child on a free loopback port, for simulations and tests.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { DependencyError } from '../shared/errors/index.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function redisServerBinary(): string {
  const bin = process.env['REDIS_SERVER'] ?? 'redis-server';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new DependencyError(
      `"${bin}" was not found: install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or pass --redis redis://HOST:PORT`,
    );
  return bin;
}

/** A redis-server in the foreground on 127.0.0.1:`port` that keeps nothing on disk, with `extra` settings. */
export function spawnRedisServer(bin: string, port: number, extra: string[] = []): ChildProcess {
  return spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      ...extra,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** A client of one server that never retries: a probe of a server that is not (yet) there fails fast. */
export function oneShotClient(port: number, connectTimeout?: number): Redis {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(connectTimeout !== undefined ? { connectTimeout } : {}),
  });
  r.on('error', () => undefined);
  return r;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const bin = redisServerBinary();
  const port = await freePort();
  const child = spawnRedisServer(bin, port);
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new DependencyError(`redis-server exited at start (port ${port})`);
    const probe = oneShotClient(port);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new DependencyError(`redis-server did not answer on port ${port} within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
