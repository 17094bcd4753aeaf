// Running a task: forwards a child job (train, evaluate, stats, or a secure-aggregation stage) to its
// site's stream and completes when the result has arrived and validated; fails on deadline,
// disconnect or a bad answer. Uploads are spooled to the round's spool directory.

import path from 'node:path';
import type { Job } from 'bullmq';
import { AccordError, TaskError } from '../../shared/errors/index.js';
import type { TaskJobData, TaskJobResult } from '../queues/jobs.js';
import type { Session } from '../sessions/session.js';
import type { TaskRequest } from '../sessions/task.js';
import { SpoolWriter } from '../store/spool.js';
import type { RoundContext } from './context.js';
import { EXPERIMENT_REFUSALS, siteRefused } from './refusals.js';
import { stageRequest } from './secure/stage-request.js';
import { readState } from './secure/state.js';
import { taskSpecFor } from './task-spec.js';

/** How long a task waits for its site to (re)connect to this instance before failing. */
export const RECONNECT_GRACE_MS = 15_000;

export async function runTask(ctx: RoundContext, job: Job<TaskJobData>): Promise<TaskJobResult> {
  try {
    const r = await runTaskInner(ctx, job.data);
    ctx.metrics.tasks.inc({ kind: job.data.kind, outcome: 'ok' });
    ctx.metrics.bytes.inc({ direction: 'up' }, r.bytesUp);
    ctx.metrics.bytes.inc({ direction: 'down' }, r.bytesDown);
    return r;
  } catch (e) {
    ctx.metrics.tasks.inc({ kind: job.data.kind, outcome: 'failed' });
    // A site's policy (or spent budget) will refuse every retry alike: it takes no further part, and the
    // experiment ends only if the others cannot go on without it (refusals.ts).
    if (e instanceof AccordError && EXPERIMENT_REFUSALS.has(e.code))
      await siteRefused(ctx, job.data.experimentId, job.data.site, e.message);
    throw e;
  }
}

/** The site's session on this instance; a worker whose coordinator restarted gets a moment to reconnect. */
async function sessionOf(ctx: RoundContext, site: string, waitMs: number): Promise<Session> {
  const graceEnd = Date.now() + Math.min(waitMs, RECONNECT_GRACE_MS);
  let session = ctx.hub.get(site);
  while (!session && Date.now() < graceEnd) {
    await new Promise((r) => setTimeout(r, 100));
    session = ctx.hub.get(site);
  }
  if (!session) throw new TaskError(`site ${site} is not connected to coordinator ${ctx.instance}`, 'DISCONNECTED');
  return session;
}

async function runTaskInner(ctx: RoundContext, data: TaskJobData): Promise<TaskJobResult> {
  const { experimentId, round, attempt, site, taskId } = data;
  const rec = await ctx.records.get(experimentId);
  if (rec?.status !== 'running') throw new TaskError(`experiment ${experimentId} is not running`, 'NOT_RUNNING');
  const cfg = rec.config;
  const session = await sessionOf(ctx, site, cfg.timeouts.taskMs);
  const base = { taskId, experimentId, round, attempt };
  const spool = (name: string) => () =>
    new SpoolWriter(path.join(ctx.paths.spoolDir(experimentId, round, attempt), name));
  let req: TaskRequest;
  if (data.kind === 'secagg') {
    const state = readState(ctx.paths, experimentId, round, attempt);
    const deadline = Date.now() + cfg.secagg.stageTimeoutMs;
    const masked = data.stage === 'masked-input';
    req = {
      ...base,
      kind: 'secagg',
      stage: data.stage,
      deadline,
      request: { ...stageRequest(state, data.stage, site, deadline), manifestHash: rec.manifestHash ?? '' },
      upload: masked ? { values: state.length, open: spool(`masked-${site}.u32`) } : null,
    };
  } else {
    const deadline = Date.now() + cfg.timeouts.taskMs;
    const spec = taskSpecFor(rec, round, data.siteCount);
    if (data.kind === 'train') {
      const pinned = await ctx.records.pinDeclaredRows(experimentId, site, session.declaredExamples);
      if (pinned !== session.declaredExamples)
        throw new TaskError(
          `site ${site} now declares ${session.declaredExamples} rows; it declared ${pinned} when it joined this experiment`,
          'DECLARATION_CHANGED',
        );
    }
    // Under secure aggregation column statistics go through it too (spec.secure), like the deltas.
    if (data.kind === 'stats') req = { ...base, kind: 'stats', deadline, spec };
    else {
      // Train from the last committed model; evaluate the round's aggregated candidate, or in async
      // mode the committed version.
      const committed = data.kind === 'evaluate' && data.async ? round : round - 1;
      const meta = ctx.checkpoints.readMeta(experimentId, committed);
      const file =
        data.kind === 'train' || data.async
          ? ctx.paths.checkpointBin(experimentId, committed)
          : ctx.paths.candidate(experimentId, round);
      const weights = ctx.weights.load(file, meta.specs);
      req =
        data.kind === 'evaluate'
          ? { ...base, kind: 'evaluate', deadline, spec, weights }
          : { ...base, kind: 'train', deadline, spec, weights, upload: spec.secure ? null : spool(`${site}.f32`) };
    }
  }
  const outcome = await session.runTask(req);
  const { backend, backendReason } = session.hello;
  return { site, kind: data.kind, ...outcome, backend, ...(backendReason ? { backendReason } : {}) };
}
