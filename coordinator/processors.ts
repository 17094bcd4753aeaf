// BullMQ processors: which round step runs for which job. Each step is idempotent, so a job retried
// after a coordinator died (stalled-job recovery) resumes the experiment without a manual step.
import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import { reportOutages } from '../shared/redis-connection.js';
import type { TaskJobData, TaskJobResult } from './queues/jobs.js';
import { QUEUE_EXPERIMENTS, QUEUE_ROUNDS, tasksQueue } from './queues/names.js';
import { aggregateRound } from './rounds/aggregate.js';
import { alreadyArrived, asyncCatchUp, asyncTaskFailed, asyncUpdateArrived } from './rounds/async-buffer.js';
import { commitAsync } from './rounds/async-commit.js';
import { finishAsyncEvaluation } from './rounds/async-evaluate.js';
import { watchAsync } from './rounds/async-watch.js';
import { commitRound } from './rounds/commit.js';
import type { RoundContext } from './rounds/context.js';
import { runTask } from './rounds/run-task.js';
import { secaggStep } from './rounds/secure/stages.js';
import { selectRound } from './rounds/select.js';
import { startExperiment } from './rounds/start.js';
import { collectStatistics } from './rounds/statistics.js';

export interface ProcessorOptions {
  connection: ConnectionOptions;
  /** BullMQ's key prefix: hash-tagged in a Redis Cluster (shared/redis-target.ts). Default "bull". */
  prefix?: string | undefined;
  /** Tasks in flight at once on this instance (each waits on a remote worker). Default 256. */
  taskConcurrency?: number;
  /** Round steps at once (several experiments). Default 4. */
  roundConcurrency?: number;
  /**
   * Job lock duration: how soon another (or a restarted) coordinator takes over the jobs of one that
   * died. Locks are renewed at half this period while a job runs. Default 30000 ms.
   */
  lockDurationMs?: number;
  /**
   * How often each queue is checked for jobs whose lock is gone (expired, or released because its
   * holder died: adoption.ts). Cheap, one script per queue; a live holder's job is never taken.
   * Default 1000 ms.
   */
  stalledIntervalMs?: number;
}

/** How soon a worker tries Redis again after a failed call (BullMQ's runRetryDelay). */
export const RUN_RETRY_DELAY_MS = 500;

export function startProcessors(ctx: RoundContext, opts: ProcessorOptions): Worker[] {
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const common = {
    connection: opts.connection,
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    autorun: true,
    lockDuration,
    stalledInterval: opts.stalledIntervalMs ?? 1000,
    // After a failed Redis call BullMQ waits this long before fetching or finishing a job again (its
    // default, 15 s, was most of the time a round took to commit once Redis was back).
    runRetryDelay: RUN_RETRY_DELAY_MS,
  };
  const experiments = new Worker(QUEUE_EXPERIMENTS, (job: Job) => startExperiment(ctx, job), {
    ...common,
    concurrency: 2,
  });
  const rounds = new Worker(
    QUEUE_ROUNDS,
    async (job: Job, token?: string) => {
      switch (job.name) {
        case 'select':
          return selectRound(ctx, job, token);
        case 'aggregate':
          return aggregateRound(ctx, job);
        case 'commit':
          return commitRound(ctx, job);
        case 'commit-async':
          return commitAsync(ctx, job, token);
        case 'eval-async':
          return finishAsyncEvaluation(ctx, job, token);
        case 'async-watch':
          return watchAsync(ctx, job, token);
        case 'secagg':
          return secaggStep(ctx, job);
        case 'stats':
          return collectStatistics(ctx, job);
        default:
          throw new Error(`unknown round step "${job.name}"`);
      }
    },
    { ...common, concurrency: opts.roundConcurrency ?? 4 },
  );
  const tasks = new Worker(tasksQueue(ctx.instance), (job: Job<TaskJobData>) => processTask(ctx, job), {
    ...common,
    concurrency: opts.taskConcurrency ?? 256,
  });
  for (const w of [experiments, rounds, tasks]) {
    w.on('failed', (job, err) => ctx.log.warn({ queue: w.name, job: job?.id, err: err.message }, 'job failed'));
    reportOutages(w, ctx.log, `queue ${w.name}`);
  }
  return [experiments, rounds, tasks];
}

/**
 * A task, on this instance's queue or on an adopted one; in async mode its update then goes into the
 * buffer, or its failure frees its site for another.
 */
export async function processTask(ctx: RoundContext, job: Job<TaskJobData>): Promise<TaskJobResult | string> {
  if (!job.data.async || job.data.kind !== 'train') return runTask(ctx, job);
  if (await alreadyArrived(ctx, job.data)) {
    // Retried after its coordinator died: the update is buffered; redo only what may not have followed.
    const rec = await ctx.records.get(job.data.experimentId);
    if (rec?.status === 'running') await asyncCatchUp(ctx, rec);
    return 'update already buffered';
  }
  let r: TaskJobResult;
  try {
    r = await runTask(ctx, job);
  } catch (e) {
    await asyncTaskFailed(ctx, job.data).catch((err: unknown) =>
      ctx.log.warn({ job: job.id, err: String(err) }, 'async replacement failed'),
    );
    throw e;
  }
  await asyncUpdateArrived(ctx, job.data, r);
  return r;
}
