// Committing: the checkpoint is written atomically first, then the round's record, then the next
// round is queued (or the experiment finishes). A committed round is never lost or redone.

import fs from 'node:fs';
import type { Job } from 'bullmq';
import { bytesToF32 } from '../../shared/tensors/bytes.js';
import type { RoundRecord } from '../experiments/records.js';
import { ExperimentRecords } from '../experiments/records.js';
import { DifferentialPrivacy } from '../privacy/differential-privacy.js';
import { enqueueSelect } from '../queues/flows.js';
import type { CommitJobData, TaskJobResult } from '../queues/jobs.js';
import type { CheckpointMeta } from '../store/checkpoints.js';
import { decodeState } from '../store/state-codec.js';
import { centralEvaluate, centralFields } from './central-eval.js';
import type { RoundContext } from './context.js';
import { finishExperiment, removeRoundFiles, stopExperiment, stopOutOfBudget } from './finish.js';
import { openStep } from './open-step.js';
import { siteEvaluation } from './site-evaluation.js';
import { siteTrainResult } from './train-result.js';

export async function commitRound(ctx: RoundContext, job: Job<CommitJobData>): Promise<string> {
  const d = job.data;
  const { experimentId, round } = d;
  const rec = await openStep(ctx, d);
  if (typeof rec === 'string') return rec;
  const evals = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'evaluate');
  const evalFailures = Object.keys(await job.getIgnoredChildrenFailures()).length;
  const evaluateMs = Date.now() - d.trainEndedAt - d.aggregateMs;

  const dp = DifferentialPrivacy.of(rec.config);
  if (!ctx.checkpoints.exists(experimentId, round)) {
    const candidate = ctx.paths.candidate(experimentId, round);
    const prev = ctx.checkpoints.readMeta(experimentId, round - 1);
    const values = bytesToF32(fs.readFileSync(candidate));
    const state = decodeState(
      (JSON.parse(fs.readFileSync(`${candidate}.state.json`, 'utf8')) as { state: unknown }).state,
    );
    let privacy: CheckpointMeta['privacy'];
    if (dp && d.dp) {
      // dp.maxEpsilon once more, with the noise the round actually added (select priced it with every
      // site's share; dropouts under secure aggregation take theirs with them). Secure aggregation has
      // refused such a round before unmasking already; this is the last gate before the ledger.
      const why = dp.overBudgetAsAdded(prev.privacy, d.dp, round, 'at commit');
      if (why) {
        await stopOutOfBudget(ctx, { experimentId, round, attempt: d.attempt }, why);
        return why;
      }
      privacy = dp.charge(prev.privacy, d.dp);
    }
    ctx.checkpoints.write(experimentId, round, { specs: prev.specs, values }, state, privacy);
  }
  const { meta: committed, weights: committedWeights } = ctx.checkpoints.read(experimentId, round);
  removeRoundFiles(ctx, { experimentId, round, attempt: d.attempt });

  const evaluation = siteEvaluation(evals, rec.config);
  const central = await centralEvaluate(experimentId, ExperimentRecords.effectiveConfig(rec), committedWeights);
  const train: RoundRecord['train'] = Object.fromEntries(
    Object.entries(d.train).map(([site, t]) => [site, siteTrainResult(t)]),
  );
  const record: RoundRecord = {
    round,
    attempt: d.attempt,
    committedAt: Date.now(),
    participants: d.participants,
    failures: d.failures,
    trainLoss: d.trainLoss,
    ...evaluation,
    ...centralFields(central),
    train,
    bytesDown:
      Object.values(train).reduce((a, t) => a + t.bytesDown, 0) +
      evals.reduce((a, e) => a + e.bytesDown, 0) +
      (d.secureBytes?.down ?? 0),
    bytesUp: Object.values(train).reduce((a, t) => a + t.bytesUp, 0) + (d.secureBytes?.up ?? 0),
    durations: {
      trainMs: d.trainEndedAt - d.startedAt,
      aggregateMs: d.aggregateMs,
      evaluateMs,
      totalMs: Date.now() - d.startedAt,
    },
    backends: Object.fromEntries(Object.entries(train).map(([s, t]) => [s, t.backend])),
    ...(dp && d.dp && committed.privacy
      ? {
          privacy: {
            epsilon: dp.epsilon(committed.privacy),
            delta: dp.delta,
            noiseMultiplier: d.dp.noiseMultiplier,
            effectiveNoiseMultiplier: d.dp.effectiveNoiseMultiplier,
            samplingRate: d.dp.samplingRate,
            sampledFraction: d.dp.sampledFraction,
            clip: dp.clip,
            noise: rec.config.secagg.mode !== 'off' ? ('distributed' as const) : ('central' as const),
            colludingSites: rec.config.secagg.mode !== 'off' ? dp.colludingSites : 0,
          },
        }
      : {}),
    ...(d.secure ? { secure: d.secure } : {}),
    ...(d.robust ? { robust: d.robust } : {}),
    ...(d.bounded?.length ? { bounded: d.bounded } : {}),
    strategy: rec.config.strategy.name,
  };
  await ctx.records.putRound(experimentId, record);
  ctx.metrics.rounds.inc();
  ctx.metrics.roundSeconds.observe(record.durations.totalMs / 1000);
  await ctx.records.update(experimentId, { committed: round });
  if (evalFailures) await ctx.records.event(experimentId, `round ${round}: ${evalFailures} evaluation task(s) failed`);
  ctx.log.info(
    { experiment: experimentId, round, meanSiteAccuracy: record.meanSiteAccuracy, trainLoss: record.trainLoss },
    'round committed',
  );

  if (round >= rec.config.rounds) {
    await finishExperiment(ctx, experimentId);
    return 'experiment completed';
  }
  const target = rec.config.eval.target;
  const reached = central?.accuracy ?? (evals.length ? record.accuracy : NaN);
  if (target !== undefined && reached >= target) {
    await stopExperiment(
      ctx,
      experimentId,
      `target accuracy ${target} reached in round ${round} (${central ? 'central' : 'federated'} accuracy ${reached.toFixed(4)})`,
    );
    return 'target reached';
  }
  await ctx.records.update(experimentId, { round: round + 1, phase: 'selecting' });
  await enqueueSelect(ctx.rounds, { experimentId, round: round + 1, attempt: 1, since: Date.now() });
  return `round ${round} committed`;
}
