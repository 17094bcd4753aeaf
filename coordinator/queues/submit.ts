// Submitting an experiment: a record in Redis and a `start` job on the `experiments` queue.

import crypto from 'node:crypto';
import { Queue } from 'bullmq';
import { resolveApp } from '../../shared/apps/resolve.js';
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { withInlineModel } from '../../shared/models/topology.js';
import type { BullConnection, RedisClient } from '../../shared/redis-target.js';
import type { RedisOptions } from '../../shared/redis-url.js';
import { ExperimentRecords } from '../experiments/records.js';
import { jobIds, QUEUE_EXPERIMENTS } from './names.js';

export function newExperimentId(): string {
  return `exp-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
}

/** `connection`: BullMQ's (shared/redis-target.ts), or a single server's options. */
export async function submitExperiment(
  redis: RedisClient,
  connection: RedisOptions | BullConnection,
  config: ExperimentConfig,
  baseDir = process.cwd(),
): Promise<string> {
  const id = newExperimentId();
  // The coordinator and the sites run elsewhere: a custom model travels by value, read here; an app's
  // code is stored beside the record, for the coordinator to serve to the sites by its digest.
  let cfg: ExperimentConfig = withInlineModel(config, baseDir);
  let bundle: Buffer | undefined;
  if ('app' in cfg.model && typeof cfg.model.app === 'string') {
    const app = await resolveApp(cfg.model.app, baseDir, cfg.data);
    cfg = { ...cfg, model: app.model };
    bundle = app.bundle;
  }
  const records = new ExperimentRecords(redis);
  if (bundle) await records.saveApp(id, bundle);
  await records.create(id, cfg);
  const bull: BullConnection = 'connection' in connection ? connection : { connection };
  const queue = new Queue(QUEUE_EXPERIMENTS, { ...bull });
  try {
    await queue.add(
      'start',
      { experimentId: id },
      {
        jobId: jobIds.start(id),
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 86400 },
      },
    );
  } finally {
    await queue.close();
  }
  return id;
}
