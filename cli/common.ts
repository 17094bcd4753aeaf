// Shared CLI helpers: error reporting, Redis connections, JSON output.
import { Option } from 'commander';
import { AccordError } from '../shared/errors/index.js';

const USAGE_CODES: ReadonlySet<string> = new Set(['CONFIG_INVALID', 'BAD_ROSTER', 'BAD_IDENTITY', 'BAD_MANIFEST']);

/** Runs a command body; known errors print one clear line and exit non-zero. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof AccordError) {
        process.stderr.write(`accord: ${e.message} [${e.code}]\n`);
        // A bad config, key or roster file is a usage mistake (2); anything else failed while running (1).
        process.exit(USAGE_CODES.has(e.code) ? 2 : 1);
      }
      process.stderr.write(`accord: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    }
  };
}

export { connectRedis } from '../shared/redis-connection.js';
export { redisTargetOf } from '../shared/redis-target.js';

/** `--redis-cluster`, next to every `--redis`: a Redis Cluster instead of one server (an explicit --redis conflicts). */
export function redisClusterOption(): Option {
  return new Option(
    '--redis-cluster <nodes>',
    'a Redis Cluster instead of --redis: seed nodes HOST:PORT[,HOST:PORT...]',
  ).conflicts('redis');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
