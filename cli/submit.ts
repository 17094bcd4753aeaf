// `accord submit FILE.yaml`: validates an experiment config and queues it.

import path from 'node:path';
import type { Command } from 'commander';
import { submitExperiment } from '../coordinator/queues/submit.js';
import { loadExperimentFile } from '../shared/config/load.js';
import { DEFAULT_REDIS_URL, redisOptions } from '../shared/redis-url.js';
import { action, connectRedis, printJson } from './common.js';

export function register(program: Command): void {
  program
    .command('submit <file>')
    .description('submit an experiment (YAML) to the coordinators sharing this Redis')
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .option('--json', 'print JSON')
    .action(
      action(async (file: string, o: { redis: string; json?: boolean }) => {
        const cfg = loadExperimentFile(file);
        const redis = await connectRedis(o.redis);
        try {
          const id = await submitExperiment(redis, redisOptions(o.redis), cfg, path.dirname(path.resolve(file)));
          if (o.json) printJson({ id, name: cfg.name, rounds: cfg.rounds });
          else process.stdout.write(`${id}\n`);
        } finally {
          redis.disconnect();
        }
      }),
    );
}
