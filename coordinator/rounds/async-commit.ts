// Async mode: committing model version v from the next bufferSize buffered updates, each weighted by
// its examples times FedBuff's staleness weight s(v - 1 - base). Versions commit in order: a commit
// whose previous version is not there yet waits for it. The checkpoint, then the version's record, are
// written before the buffer is trimmed: a retried commit skips what is done and redoes the rest, so no
// update is folded twice and no step after the checkpoint (the record, the sites' evaluation, the end
// of the experiment) is lost with a coordinator that died between them.
import path from 'node:path';
import { DelayedError, type Job } from 'bullmq';
import { removeQuietly } from '../../shared/files/atomic.js';
import { firstNonFinite } from '../../shared/tensors/bytes.js';
import type { FlatWeights } from '../../shared/tensors/weights.js';
import {
  type BoundedEntry,
  type ExperimentRecord,
  ExperimentRecords,
  type RoundRecord,
} from '../experiments/records.js';
import { describeBounded } from '../experiments/round-record.js';
import type { AsyncCommitJobData } from '../queues/jobs.js';
import { createStrategy } from '../strategies/index.js';
import { staleness, stalenessWeight } from '../strategies/staleness.js';
import { asyncKeys, asyncSettings, type BufferedUpdate } from './async-buffer.js';
import { asyncEvaluationDue, startAsyncEvaluation } from './async-evaluate.js';
import { centralEvaluate, centralFields } from './central-eval.js';
import type { RoundContext } from './context.js';
import { failExperiment, finishExperiment, stopExperiment } from './finish.js';
import { foldBounds, foldSpooled } from './fold-spooled.js';
import { openStep } from './open-step.js';
import { meanTrainLoss, siteTrainResult } from './train-result.js';

/** How soon a commit waiting for the previous version looks again. */
const WAIT_FOR_PREVIOUS_MS = 100;

export async function commitAsync(ctx: RoundContext, job: Job<AsyncCommitJobData>, token?: string): Promise<string> {
  const { experimentId, version } = job.data;
  const rec = await openStep(ctx, { experimentId, round: version });
  if (typeof rec === 'string') return rec;
  const cfg = rec.config;
  const { bufferSize } = asyncSettings(cfg);
  // Each step below is redone or skipped on a retry (a coordinator that died mid-commit): the checkpoint,
  // then the record, then the buffer trimmed, then what follows the commit.
  let record = await ctx.records.round(experimentId, version);
  if (!record) {
    const made = await commitVersion(ctx, job, token, rec);
    if (typeof made === 'string') return made;
    record = made;
  }
  await trim(ctx, experimentId, version, bufferSize);
  if (rec.committed < version) await ctx.records.update(experimentId, { committed: version, round: version + 1 });
  ctx.log.info(
    { experiment: experimentId, version, central: record.central?.accuracy, bases: record.baseVersions },
    'version committed',
  );
  // The sites score this version beside training; after the last one the experiment ends when they have.
  const evaluating = asyncEvaluationDue(cfg, version) && (await startAsyncEvaluation(ctx, rec, version));
  if (version >= cfg.rounds) {
    await dropBuffer(ctx, experimentId);
    if (evaluating) return 'last version committed, sites evaluating';
    await finishExperiment(ctx, experimentId);
    return 'experiment completed';
  }
  const target = cfg.eval.target;
  const central = record.central;
  if (target !== undefined && central && central.accuracy >= target) {
    await dropBuffer(ctx, experimentId);
    await stopExperiment(
      ctx,
      experimentId,
      `target accuracy ${target} reached in version ${version} (central accuracy ${central.accuracy.toFixed(4)})`,
    );
    return 'target reached';
  }
  return `version ${version} committed`;
}

/**
 * Folds the next bufferSize buffered updates into version `version` (unless its checkpoint is already
 * written), scores it centrally and stores its record. The buffer is trimmed only after the record is
 * stored, so a retry finds the same updates to describe. Returns the record, or why there is none.
 */
async function commitVersion(
  ctx: RoundContext,
  job: Job<AsyncCommitJobData>,
  token: string | undefined,
  rec: ExperimentRecord,
): Promise<RoundRecord | string> {
  const { experimentId, version } = job.data;
  const cfg = rec.config;
  const k = asyncKeys(ctx, experimentId);
  const { bufferSize, stalenessExponent } = asyncSettings(cfg);
  // The previous version must be written and its updates off the buffer, or this one would take them.
  const trimmed = Number((await ctx.redis.get(k.trimmed)) ?? 0);
  if (!ctx.checkpoints.exists(experimentId, version - 1) || trimmed < version - 1) {
    await job.moveToDelayed(Date.now() + WAIT_FOR_PREVIOUS_MS, token);
    throw new DelayedError();
  }
  const startedAt = Date.now();
  const taken = (await ctx.redis.lrange(k.buffer, 0, bufferSize - 1)).map((s) => JSON.parse(s) as BufferedUpdate);
  if (taken.length < bufferSize)
    throw new Error(`version ${version}: ${taken.length} of ${bufferSize} updates buffered`);

  // The version's weights: folded now, or read back when a retry finds its checkpoint written.
  let committed: FlatWeights;
  // What the fold bounded; a retry that finds the checkpoint written does not know it (the events do).
  let bounded: BoundedEntry[] = [];
  if (!ctx.checkpoints.exists(experimentId, version)) {
    const strategy = createStrategy(cfg.strategy);
    // The config refuses robust strategies in async mode; a stored config from elsewhere is refused here.
    if (!strategy.linear) {
      await failExperiment(ctx, experimentId, `async mode needs a linear strategy, not ${cfg.strategy.name}`);
      return 'failed';
    }
    const prev = ctx.checkpoints.read(experimentId, version - 1);
    const acc = strategy.createAccumulator(prev.weights.values.length);
    // Weighted by examples x staleness but divided by the examples alone, as FedBuff divides by K:
    // stale updates shrink the step. The norm bound (over the version's buffered updates) and the
    // weight cap hold here as in synchronous rounds.
    bounded = foldSpooled(
      acc,
      taken.map((u) => ({ ...u, factor: stalenessWeight(staleness(version, u.base), stalenessExponent) })),
      foldBounds(cfg),
    );
    for (const b of bounded) await ctx.records.event(experimentId, describeBounded(`version ${version}`, b));
    const { weights, state } = strategy.aggregateFit(prev.weights.values, acc, prev.meta.strategyState);
    const bad = firstNonFinite(weights);
    if (bad >= 0) {
      await failExperiment(ctx, experimentId, `version ${version}: aggregation produced a non-finite weight at ${bad}`);
      return 'failed';
    }
    committed = { specs: prev.weights.specs, values: weights };
    ctx.checkpoints.write(experimentId, version, committed, state);
  } else committed = ctx.checkpoints.read(experimentId, version).weights;
  // The checkpoint holds their sum now. Each dispatch spools into a directory of its own (its attempt).
  for (const u of taken) removeQuietly(path.dirname(u.spoolFile));
  const aggregateMs = Date.now() - startedAt;
  const central = await centralEvaluate(experimentId, ExperimentRecords.effectiveConfig(rec), committed);
  const record = asyncRecord(version, taken, central, startedAt, aggregateMs, cfg.strategy.name, bounded);
  await ctx.records.putRound(experimentId, record);
  ctx.metrics.rounds.inc();
  return record;
}

/** Once the experiment ends nothing folds what is left in the buffer: its spooled deltas go now. */
async function dropBuffer(ctx: RoundContext, experimentId: string): Promise<void> {
  const k = asyncKeys(ctx, experimentId);
  for (const s of await ctx.redis.lrange(k.buffer, 0, -1))
    removeQuietly(path.dirname((JSON.parse(s) as BufferedUpdate).spoolFile));
  await ctx.redis.del(k.buffer, k.busy, k.arrived);
}

/** Takes the version's updates off the buffer, once (the trimmed marker makes a retry a no-op). */
async function trim(ctx: RoundContext, experimentId: string, version: number, bufferSize: number): Promise<void> {
  const k = asyncKeys(ctx, experimentId);
  const done = Number((await ctx.redis.get(k.trimmed)) ?? 0);
  if (done >= version) return;

  await ctx.redis.multi().ltrim(k.buffer, bufferSize, -1).set(k.trimmed, String(version)).exec();
}

function asyncRecord(
  version: number,
  taken: BufferedUpdate[],
  central: Awaited<ReturnType<typeof centralEvaluate>>,
  startedAt: number,
  aggregateMs: number,
  strategy: string,
  bounded: BoundedEntry[],
): RoundRecord {
  // A site may send two updates into one version (it finished, was picked again and finished again
  // before the commit): participants lists one entry per update, baseVersions the older base.
  const train: RoundRecord['train'] = {};
  const baseVersions: Record<string, number> = {};
  for (const u of taken) {
    train[u.site] = siteTrainResult(u.result);
    baseVersions[u.site] = Math.min(u.base, baseVersions[u.site] ?? u.base);
  }
  const trainLoss = meanTrainLoss(taken.map((u) => u.result));
  const now = Date.now();
  return {
    round: version,
    attempt: 1,
    committedAt: now,
    participants: taken.map((u) => u.site).sort(),
    failures: {},
    trainLoss,
    siteEval: {},
    siteAccuracy: {},
    meanSiteAccuracy: NaN,
    accuracy: central?.accuracy ?? NaN,
    loss: central?.loss ?? NaN,
    ...centralFields(central),
    evaluated: false,
    train,
    bytesDown: taken.reduce((a, u) => a + u.result.bytesDown, 0),
    bytesUp: taken.reduce((a, u) => a + u.result.bytesUp, 0),
    durations: { trainMs: 0, aggregateMs, evaluateMs: now - startedAt - aggregateMs, totalMs: now - startedAt },
    backends: Object.fromEntries(taken.map((u) => [u.site, u.result.backend])),
    ...(bounded.length ? { bounded } : {}),
    strategy,
    baseVersions,
  };
}
