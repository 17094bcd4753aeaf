// Redis connection settings from a URL, for both ioredis and BullMQ.
import { ConfigError } from './errors/index.js';

export interface RedisOptions {
  host: string;
  port: number;
  password?: string;
  username?: string;
  db?: number;
  /** Required by BullMQ workers: blocking commands must not be retried by ioredis. */
  maxRetriesPerRequest: null;
  /** Milliseconds until the next attempt to reconnect (ioredis and BullMQ call it). */
  retryStrategy: (times: number) => number;
}

export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--redis: "${url}" is not a URL (expected redis://HOST:PORT)`);
  }
  if (u.protocol !== 'redis:') throw new ConfigError(`--redis: "${url}" must start with redis://`);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    maxRetriesPerRequest: null,
    // Reconnect at least every second however long Redis is away: BullMQ's own strategy grows to 20 s,
    // so a round waited up to 20 s after Redis was back (bench/recovery.ts, redis case).
    retryStrategy: (times: number) => Math.min(times * 100, RECONNECT_MAX_MS),
  };
}

/** The longest wait between two attempts to reach Redis again. */
export const RECONNECT_MAX_MS = 1000;

export const DEFAULT_REDIS_URL = process.env['ACCORD_REDIS'] ?? 'redis://127.0.0.1:6379';
