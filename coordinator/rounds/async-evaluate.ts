// Async mode's federated evaluation: every eval.every versions (and after the last) sites score the
// committed version on their own test splits, as a round's selected sites do in synchronous mode. The
// evaluators are drawn like a round's sites (clients.fraction of the live ones), idle sites first: a
// site runs its tasks one at a time, so a training site answers after its update. Training goes on
// meanwhile; the scores are added to the version's record when they are in. After the last version
// the experiment ends once every evaluation has (one behind a straggler's training may end after it).
import { DelayedError, Job } from 'bullmq';
import { rng, sample, seedOf } from '../../shared/random.js';
import type { ExperimentRecord } from '../experiments/records.js';
import { addStepWithTasks } from '../queues/flows.js';
import type { AsyncEvalJobData, TaskJobResult } from '../queues/jobs.js';
import { jobIds } from '../queues/names.js';
import { asyncKeys } from './async-buffer.js';
import type { RoundContext } from './context.js';
import { eligibleSites } from './eligible.js';
import { finishExperiment, stopExperiment } from './finish.js';
import { openStep } from './open-step.js';
import { siteEvaluation } from './site-evaluation.js';

/** How soon the last version's evaluation looks again for earlier ones still out. */
const WAIT_FOR_EARLIER_MS = 200;

/** Whether version `version` is evaluated by the sites. */
export function asyncEvaluationDue(cfg: ExperimentRecord['config'], version: number): boolean {
  return version % cfg.eval.every === 0 || version >= cfg.rounds;
}

/**
 * Asks sites to score committed version `version`. Returns false when no site is live to ask (the
 * caller then ends the experiment itself after the last version).
 */
export async function startAsyncEvaluation(
  ctx: RoundContext,
  rec: ExperimentRecord,
  version: number,
): Promise<boolean> {
  const jobId = jobIds.evalAsync(rec.id, version);
  // Started already (a retried commit): adding it again would mark it out once more after it ended.
  if (await Job.fromId(ctx.rounds, jobId)) return true;
  const live = (await eligibleSites(ctx, rec.id)).eligible;
  if (!live.length) return false;
  const busy = new Set(await ctx.redis.hkeys(asyncKeys(ctx, rec.id).busy));
  const count = Math.max(1, Math.round(rec.config.clients.fraction * live.length));
  const draw = rng(seedOf(rec.config.seed, 'async-eval', version));
  const idle = sample(
    live.filter((w) => !busy.has(w.site)),
    live.length,
    draw,
  );
  const training = sample(
    live.filter((w) => busy.has(w.site)),
    live.length,
    draw,
  );
  const evaluators = [...idle, ...training].slice(0, count);
  // Attempt 0: no async train task has it (their attempts are dispatch numbers from 1), so ids never clash.
  const ref = { experimentId: rec.id, round: version, attempt: 0 };
  const data: AsyncEvalJobData = { experimentId: rec.id, version, last: version >= rec.config.rounds };
  await ctx.redis.sadd(asyncKeys(ctx, rec.id).evaluating, String(version));
  await addStepWithTasks(
    ctx.flows,
    { name: 'eval-async', data, jobId },
    ref,
    { kind: 'evaluate', async: true },
    evaluators,
  );
  return true;
}

/** The sites' scores are in: add them to the version's record; end the experiment after the last. */
export async function finishAsyncEvaluation(
  ctx: RoundContext,
  job: Job<AsyncEvalJobData>,
  token?: string,
): Promise<string> {
  const { experimentId, version, last } = job.data;
  const rec = await openStep(ctx, { experimentId, round: version });
  if (typeof rec === 'string') return rec;
  const evaluating = asyncKeys(ctx, experimentId).evaluating;
  if (last && (await ctx.redis.smembers(evaluating)).some((v) => v !== String(version))) {
    // Earlier versions' scores are not all in: ending now would drop them.
    await job.moveToDelayed(Date.now() + WAIT_FOR_EARLIER_MS, token);
    throw new DelayedError();
  }
  const evals = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'evaluate');
  const failed = Object.keys(await job.getIgnoredChildrenFailures()).length;
  const record = await ctx.records.round(experimentId, version);
  if (!record) throw new Error(`version ${version} of ${experimentId} has no record to add its evaluation to`);
  const evaluation = siteEvaluation(evals, rec.config);
  await ctx.records.putRound(experimentId, {
    ...record,
    ...evaluation,
    bytesDown: record.bytesDown + evals.reduce((a, e) => a + e.bytesDown, 0),
  });
  await ctx.redis.srem(evaluating, String(version));
  if (failed) await ctx.records.event(experimentId, `version ${version}: ${failed} evaluation task(s) failed`);
  ctx.log.info(
    { experiment: experimentId, version, meanSiteAccuracy: evaluation.meanSiteAccuracy },
    'version evaluated by sites',
  );
  if (last) {
    await ctx.redis.del(evaluating);
    await finishExperiment(ctx, experimentId);
    return 'experiment completed';
  }
  // Without a central test set the target is judged on the sites' scores, as in synchronous mode.
  const target = rec.config.eval.target;
  if (target !== undefined && !record.central && evaluation.evaluated && evaluation.accuracy >= target) {
    await stopExperiment(
      ctx,
      experimentId,
      `target accuracy ${target} reached in version ${version} (federated accuracy ${evaluation.accuracy.toFixed(4)})`,
    );
    return 'target reached';
  }
  return `version ${version} evaluated by ${evals.length} sites`;
}
