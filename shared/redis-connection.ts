// Connecting to Redis: a bounded first attempt that ends in one clear error, and, while running, one
// log line per outage and one per recovery instead of ioredis's stack trace per reconnect attempt.
import { Redis } from 'ioredis';
import { DependencyError } from './errors/index.js';
import type { Logger } from './log/logger.js';
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

export async function connectRedis(url: string, log?: Logger, opts: ConnectRedisOptions = {}): Promise<Redis> {
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
      !connected && Date.now() - started > waitMs ? null : Math.min(times * 200, 2000),
  });
  const failures: string[] = [];
  const onError = (e: Error) => void failures.push(e.message);
  redis.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(failures.at(-1) ?? 'timed out')), waitMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      redis.connect().catch(() => undefined); // failures arrive as 'error' events and retries
    });
  } catch (e) {
    redis.disconnect();
    throw new DependencyError(`cannot reach Redis at ${url}: ${(e as Error).message}`, 'REDIS_UNREACHABLE');
  }
  connected = true;
  redis.off('error', onError);
  reportOutages(redis, log, 'accord');
  return redis;
}
