// `accord analyze FILE.yaml`: federated analytics on a running federation. Submits the experiment with
// data.analysis and no training: each site approves the terms (which name the profile it sends), sends
// its column profile with small cells withheld, and the coordinator writes analysis.json, .md and .html
// beside the experiment's report in its store. With --wait, waits for them and prints where they are.
import path from 'node:path';
import type { Command } from 'commander';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { submitExperiment } from '../coordinator/queues/submit.js';
import { loadExperimentFile } from '../shared/config/load.js';
import { ConfigError, DependencyError } from '../shared/errors/index.js';
import { bullConnectionOf } from '../shared/redis-target.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { action, connectRedis, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('analyze <file>')
    .description(DESCRIPTIONS['analyze'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option('--bins <n>', 'histogram bins over each declared range', (v) => Number(v), 10)
    .option('--wait', 'wait until the sites answered and the analysis is written')
    .action(
      action(async (file: string, o: { redis: string; redisCluster?: string; bins: number; wait?: boolean }) => {
        const cfg = loadExperimentFile(file);
        if (cfg.data.format !== 'csv')
          throw new ConfigError(`analyze: profiles CSV columns; ${file} has ${cfg.data.format} data`);
        if (!Number.isInteger(o.bins) || o.bins < 2 || o.bins > 100)
          throw new ConfigError(`--bins: expected a whole number from 2 to 100, got ${o.bins}`);
        const analysis = { bins: o.bins, only: true };
        const target = redisTargetOf(o, DEFAULT_REDIS_URL);
        const redis = await connectRedis(target);
        try {
          const id = await submitExperiment(
            redis,
            bullConnectionOf(redis, target),
            { ...cfg, name: `${cfg.name}-analysis`, data: { ...cfg.data, analysis } },
            path.dirname(path.resolve(file)),
          );
          process.stdout.write(`${id}\n`);
          if (!o.wait) return;
          const records = new ExperimentRecords(redis);
          for (;;) {
            const rec = await records.get(id);
            if (rec?.status === 'completed') break;
            if (rec?.status === 'failed' || rec?.status === 'cancelled')
              throw new DependencyError(
                `analysis ${id} ${rec.status}: ${rec.error ?? rec.stopped ?? ''}`,
                'EXPERIMENT_FAILED',
              );
            await new Promise((r) => setTimeout(r, 500));
          }
          process.stderr.write(`analysis written by the coordinator: <store>/${id}/analysis.json, .md and .html\n`);
        } finally {
          redis.disconnect();
        }
      }),
    );
}
