// Connecting to Redis: a bounded first attempt that ends in one clear error, and, while running, one
// log line per outage and one per recovery instead of ioredis's stack trace per reconnect attempt.
import { Redis } from 'ioredis';
import { DependencyError } from './errors/index.js';
import type { Logger } from './log/logger.js';
import {
  type ClusterTarget,
  describeTarget,
  isClusterTarget,
  newClusterClient,
  type RedisClient,
  type RedisTarget,
} from './redis-target.js';
import { type RedisOptions, redisOptions } from './redis-url.js';

/** Default time allowed for the first connection. */
export const REDIS_CONNECT_MS = 10_000;

/**
 * Logs an outage of `client` once when it starts and once when it ends. ioredis emits 'error' on every
 * failed reconnect; without a listener it prints "Unhandled error event" with a stack each time.
 */
export function reportOutages(
  client: { on(event: string, f: (...a: unknown[]) => void): unknown },
  log: Logger | undefined,
  what: string,
): void {
  let down = false;
  let lastLogged = 0;
  client.on('error', (e: unknown) => {
    // One line when an outage starts, then at most one a minute while it lasts.
    if (down && Date.now() - lastLogged < 60_000) return;
    down = true;
    lastLogged = Date.now();
    log?.warn({ err: e instanceof Error ? e.message : String(e) }, `${what}: connection error; retrying`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log?.info(`${what}: connection restored`);
  });
}

/** A connected client, or a DependencyError naming the URL after `waitMs` (no background retries left). */
export interface ConnectRedisOptions {
  /** Time allowed for the first connection. Default REDIS_CONNECT_MS. */
  waitMs?: number;
  /** CLIENT SETNAME on every (re)connection, so other processes can see this one is alive. */
  connectionName?: string;
}

export async function connectRedis(url: string, log?: Logger, opts?: ConnectRedisOptions): Promise<Redis>;
export async function connectRedis(target: RedisTarget, log?: Logger, opts?: ConnectRedisOptions): Promise<RedisClient>;
export async function connectRedis(
  target: RedisTarget,
  log?: Logger,
  opts: ConnectRedisOptions = {},
): Promise<RedisClient> {
  if (isClusterTarget(target)) return connectCluster(target, log, opts);
  const url = target;
  const waitMs = opts.waitMs ?? REDIS_CONNECT_MS;
  const options: RedisOptions = redisOptions(url);
  const started = Date.now();
  let connected = false;
  const redis: Redis = new Redis({
    ...options,
    lazyConnect: true,
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
    // Retry until the first connection's deadline; after that, reconnect for as long as the process runs.
    retryStrategy: (times: number): number | null =>
      !connected && Date.now() - started > waitMs ? null : options.retryStrategy(times),
  });
  await firstReady(redis, url, waitMs, () => redis.connect(), log);
  connected = true;
  reportOutages(redis, log, 'accord');
  return redis;
}

/** The same for a Redis Cluster: ready once its slot map is loaded from one of the seed nodes. */
async function connectCluster(target: ClusterTarget, log: Logger | undefined, opts: ConnectRedisOptions) {
  const waitMs = opts.waitMs ?? REDIS_CONNECT_MS;
  const started = Date.now();
  let connected = false;
  const cluster = newClusterClient(target, {
    lazyConnect: true,
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
    clusterRetryStrategy: (times: number): number | null =>
      !connected && Date.now() - started > waitMs ? null : Math.min(times * 200, 2000),
  });
  await firstReady(cluster, describeTarget(target), waitMs, () => cluster.connect(), log);
  connected = true;
  reportOutages(cluster, log, 'accord');
  // A lost node is not a cluster 'error': one line a minute at most while nodes fail (a failover).
  let lastNodeWarning = 0;
  cluster.on('node error', (e: unknown, node: unknown) => {
    if (Date.now() - lastNodeWarning < 60_000) return;
    lastNodeWarning = Date.now();
    log?.warn(
      { node, err: e instanceof Error ? e.message : String(e) },
      'accord: a Redis Cluster node is unreachable; commands wait for a failover',
    );
  });
  return cluster;
}

/** After this long without Redis, say that it is being retried (the give-up line comes at `waitMs`). */
const RETRYING_NOTE_MS = 2500;

/**
 * Waits for the first 'ready' within `waitMs`, or disconnects and throws a DependencyError naming
 * `what`; says once, early, that it is retrying (in the log, else one line on stderr).
 */
async function firstReady(
  client: RedisClient,
  what: string,
  waitMs: number,
  connect: () => Promise<void>,
  log?: Logger,
) {
  const failures: string[] = [];
  const onError = (e: Error) => void failures.push(e.message);
  client.on('error', onError);
  const note = setTimeout(
    () => {
      const msg = `Redis at ${what} is not reachable yet (${failures.at(-1) ?? 'no answer'}); retrying for up to ${Math.round(waitMs / 1000)} s`;
      if (log) log.warn(msg);
      else process.stderr.write(`accord: ${msg}\n`);
    },
    Math.min(RETRYING_NOTE_MS, waitMs / 2),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(failures.at(-1) ?? 'timed out')), waitMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      connect().catch(() => undefined); // failures arrive as 'error' events and retries
    });
  } catch (e) {
    client.disconnect();
    throw new DependencyError(`cannot reach Redis at ${what}: ${(e as Error).message}`, 'REDIS_UNREACHABLE');
  } finally {
    clearTimeout(note);
    client.off('error', onError);
  }
}
