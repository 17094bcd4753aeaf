// `accord prune`: keeps Redis to what reports need (coordinator/prune.ts says what goes).
import type { Command } from 'commander';
import { prune } from '../coordinator/prune.js';
import { bullConnectionOf } from '../shared/redis-target.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { action, connectRedis, printJson, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';
import { durationMs } from './duration.js';

export function register(program: Command): void {
  program
    .command('prune')
    .description(DESCRIPTIONS['prune'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option('--older-than <duration>', 'finished jobs of running experiments older than this go', '1h')
    .option('--gone-after <duration>', 'a coordinator silent this long is gone', '60s')
    .option('--json', 'print what was removed as JSON')
    .action(
      action(
        async (o: { redis: string; redisCluster?: string; olderThan: string; goneAfter: string; json?: boolean }) => {
          const target = redisTargetOf(o, DEFAULT_REDIS_URL);
          const olderThanMs = durationMs(o.olderThan, '--older-than');
          const goneAfterMs = durationMs(o.goneAfter, '--gone-after');
          const redis = await connectRedis(target);
          try {
            const r = await prune(redis, bullConnectionOf(redis, target), { olderThanMs, goneAfterMs });
            if (o.json) return printJson(r);
            process.stdout.write(
              `removed ${r.jobs} finished job(s), ${r.instances.length} gone coordinator instance(s)${r.instances.length ? ` (${r.instances.join(', ')})` : ''} and ${r.entries} liveness entr${r.entries === 1 ? 'y' : 'ies'}; experiment records stay\n`,
            );
          } finally {
            redis.disconnect();
          }
        },
      ),
    );
}
