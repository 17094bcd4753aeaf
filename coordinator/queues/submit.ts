// Submitting an experiment: a record in Redis and a `start` job on the `experiments` queue.

import crypto from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { ExperimentConfig } from '../../shared/config/schema.js';
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
  // The coordinator may run elsewhere: make a model.json path absolute from where it was submitted.
  const cfg: ExperimentConfig =
    'path' in config.model ? { ...config, model: { path: path.resolve(baseDir, config.model.path) } } : config;
  await new ExperimentRecords(redis).create(id, cfg);
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
