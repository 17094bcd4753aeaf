// Training: forwards a `train` or `evaluate` child job to its worker's stream and completes when the
// result has arrived and validated; fails on deadline, disconnect or a bad update.
import type { Job } from 'bullmq';
import fs from 'node:fs';
import path from 'node:path';
import { TaskError } from '../../shared/errors';
import { createStrategy } from '../strategies';
import type { CheckpointMeta } from '../store/checkpoints';
import type { RoundContext, TaskJobData, TaskJobResult } from './context';

/** How long a task waits for its site to (re)connect to this instance before failing. */
export const RECONNECT_GRACE_MS = 15_000;

export async function runTask(ctx: RoundContext, job: Job<TaskJobData>): Promise<TaskJobResult> {
  const { experimentId, round, attempt, kind, site, taskId } = job.data;
  const rec = await ctx.records.get(experimentId);
  if (!rec || rec.status !== 'running') throw new TaskError(`experiment ${experimentId} is not running`, 'NOT_RUNNING');
  const cfg = rec.config;
  // A worker whose coordinator restarted is reconnecting with backoff: give it a moment.
  const graceEnd = Date.now() + Math.min(cfg.timeouts.taskMs, RECONNECT_GRACE_MS);
  let session = ctx.hub.get(site);
  while (!session && Date.now() < graceEnd) {
    await new Promise((r) => setTimeout(r, 100));
    session = ctx.hub.get(site);
  }
  if (!session) throw new TaskError(`site ${site} is not connected to coordinator ${ctx.instance}`, 'DISCONNECTED');
  const meta = JSON.parse(fs.readFileSync(ctx.paths.checkpointMeta(experimentId, round - 1), 'utf8')) as CheckpointMeta;
  const file = kind === 'train' ? ctx.paths.checkpointBin(experimentId, round - 1) : ctx.paths.candidate(experimentId, round);
  const weights = ctx.weights.load(file, meta.specs);
  const roundConfig = { ...cfg, train: createStrategy(cfg.strategy).configureFit(round, cfg) };
  const outcome = await session.runTask({
    kind,
    taskId,
    experimentId,
    round,
    configJson: JSON.stringify(roundConfig),
    deadline: Date.now() + cfg.timeouts.taskMs,
    weights,
    ...(kind === 'train' ? { spoolFile: path.join(ctx.paths.spoolDir(experimentId, round, attempt), `${site}.f32`) } : {}),
  });
  return { site, kind, ...outcome, backend: session.hello.backend };
}
