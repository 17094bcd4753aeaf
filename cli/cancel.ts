// `accord cancel ID`: stops an experiment that is queued or running; its committed rounds stay.
import type { Command } from 'commander';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { AccordError } from '../shared/errors/index.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { action, connectRedis, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('cancel <id>')
    .description(DESCRIPTIONS['cancel'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option('--reason <text>', 'why, for the record', 'cancelled from the command line')
    .action(
      action(async (id: string, o: { redis: string; redisCluster?: string; reason: string }) => {
        const redis = await connectRedis(redisTargetOf(o, DEFAULT_REDIS_URL));
        try {
          const records = new ExperimentRecords(redis);
          const rec = await records.get(id);
          if (!rec) throw new AccordError('UNKNOWN_EXPERIMENT', `no experiment "${id}"`);
          if (!(await records.cancel(id, o.reason))) {
            process.stdout.write(`${id} had already ended (${rec.status}); nothing to cancel\n`);
            return;
          }
          // Read again: a round may have committed since (the report gives the final count).
          const now = await records.get(id);
          process.stdout.write(
            `${id} cancelled with ${now?.committed ?? rec.committed} committed round(s); a coordinator writes its report and exports the last committed model\n`,
          );
        } finally {
          redis.disconnect();
        }
      }),
    );
}
