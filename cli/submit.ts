// `accord submit FILE.yaml`: validates an experiment config and queues it.

import path from 'node:path';
import type { Command } from 'commander';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { submitExperiment } from '../coordinator/queues/submit.js';
import { loadExperimentFile } from '../shared/config/load.js';
import { bullConnectionOf } from '../shared/redis-target.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { action, connectRedis, printJson, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('submit <file>')
    .description(DESCRIPTIONS['submit'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option('--json', 'print JSON')
    .option(
      '--once',
      'do nothing when an experiment of this name is already queued, running or completed (prints its id)',
    )
    .action(
      action(async (file: string, o: { redis: string; redisCluster?: string; json?: boolean; once?: boolean }) => {
        const cfg = loadExperimentFile(file);
        const target = redisTargetOf(o, DEFAULT_REDIS_URL);
        const redis = await connectRedis(target);
        try {
          if (o.once) {
            // A compose `submit` service runs on every `up`: the experiment must be queued only once.
            const prior = (await new ExperimentRecords(redis).list()).find(
              (e) => e.config.name === cfg.name && !['failed', 'cancelled'].includes(e.status),
            );
            if (prior) {
              if (o.json) printJson({ id: prior.id, name: cfg.name, rounds: cfg.rounds, existing: true });
              else process.stdout.write(`${prior.id}\n`);
              process.stderr.write(
                `accord: experiment "${cfg.name}" already submitted (${prior.id}, ${prior.status}); not submitting again\n`,
              );
              return;
            }
          }
          const id = await submitExperiment(
            redis,
            bullConnectionOf(redis, target),
            cfg,
            path.dirname(path.resolve(file)),
          );
          if (o.json) printJson({ id, name: cfg.name, rounds: cfg.rounds });
          else process.stdout.write(`${id}\n`);
        } finally {
          redis.disconnect();
        }
      }),
    );
}
