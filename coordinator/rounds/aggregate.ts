// Aggregating: once every `train` child finished or failed, check the quorum, then either fold the
// spooled updates with the strategy (one update in memory at a time) or, under secure aggregation,
// start the protocol stages that produce the sum.
import type { Job } from 'bullmq';
import { describeBounded } from '../experiments/round-record.js';
import { DifferentialPrivacy } from '../privacy/differential-privacy.js';
import type { AggregateJobData, CommitJobData, TaskJobResult } from '../queues/jobs.js';
import { siteOfTaskJob } from '../queues/names.js';
import { SpoolUpdateSet } from '../store/update-set.js';
import { createStrategy } from '../strategies/index.js';
import type { StrategyState } from '../strategies/strategy.js';
import type { RoundContext } from './context.js';
import { evaluateCandidate } from './evaluate.js';
import { roundFailed } from './finish.js';
import { foldBounds, foldSpooled } from './fold-spooled.js';
import { openStep } from './open-step.js';
import { startSecureAggregation } from './secure/stages.js';
import { meanTrainLoss } from './train-result.js';

export async function aggregateRound(ctx: RoundContext, job: Job<AggregateJobData>): Promise<string> {
  const { experimentId, round, attempt, selected, population, startedAt } = job.data;
  const ref = { experimentId, round, attempt };
  const rec = await openStep(ctx, ref, true);
  if (typeof rec === 'string') return rec;
  const cfg = rec.config;
  const trainEndedAt = Date.now();
  const results = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'train');
  const failures: Record<string, string> = {};
  for (const [key, reason] of Object.entries(await job.getIgnoredChildrenFailures()))
    failures[siteOfTaskJob(key)] = reason;
  const quorum = cfg.clients.quorum ?? cfg.clients.min;
  if (results.length < quorum) {
    const why = Object.entries(failures)
      .map(([s, r]) => `${s}: ${r}`)
      .join('; ');
    await roundFailed(
      ctx,
      ref,
      `${results.length} of ${selected.length} updates arrived, quorum is ${quorum}${why ? ` (${why})` : ''}`,
    );
    return 'quorum missed';
  }
  const train: CommitJobData['train'] = {};
  for (const r of results) {
    const { site, kind, spoolFile, ...rest } = r;
    void kind;
    void spoolFile;
    train[site] = rest;
  }
  const trainLoss = meanTrainLoss(results);
  const commit: CommitJobData = {
    ...ref,
    startedAt,
    trainEndedAt,
    aggregateMs: 0,
    participants: results.map((r) => r.site).sort(),
    failures,
    train,
    trainLoss,
    evaluateAt: [...selected].sort(),
  };

  const samplingRate = selected.length / Math.max(population, selected.length);
  if (cfg.secagg.mode !== 'off') {
    await startSecureAggregation(ctx, ref, cfg, commit, samplingRate);
    return `secure aggregation started for ${results.length} sites`;
  }

  await ctx.records.update(experimentId, { phase: 'aggregating' });
  const t0 = Date.now();
  const strategy = createStrategy(cfg.strategy);
  const prev = ctx.checkpoints.read(experimentId, round - 1);
  let weights: Float32Array;
  let state: StrategyState;
  const dp = DifferentialPrivacy.of(cfg);
  if (strategy.linear) {
    const acc = strategy.createAccumulator(prev.weights.values.length);
    // With differential privacy every site weighs the same and its delta is clipped here too (a site
    // cannot opt out of clipping); otherwise FedAvg weighs by training examples, each site's capped to
    // its share of the round, and an update far above the round's median norm is scaled down.
    const bounded = foldSpooled(
      acc,
      results.map((r) => ({ site: r.site, spoolFile: r.spoolFile!, examples: r.examples })),
      foldBounds(cfg, dp),
    );
    for (const b of bounded) await ctx.records.event(experimentId, describeBounded(`round ${round}`, b));
    if (bounded.length) commit.bounded = bounded;
    dp?.addCentralNoise(acc);
    ({ weights, state } = strategy.aggregateFit(prev.weights.values, acc, prev.meta.strategyState));
  } else {
    const ordered = [...results].sort((a, b) => a.site.localeCompare(b.site));
    const out = strategy.aggregateRobust(
      prev.weights.values,
      new SpoolUpdateSet(
        ordered.map((r) => r.spoolFile!),
        prev.weights.values.length,
      ),
      prev.meta.strategyState,
    );
    ({ weights, state } = out);
    if (out.selected) commit.robust = { selected: out.selected.map((i) => ordered[i]!.site) };
  }
  commit.aggregateMs = Date.now() - t0;
  // The coordinator added all of the noise itself.
  if (dp) commit.dp = dp.centralRoundCost(samplingRate, results.length);
  await evaluateCandidate(ctx, ref, weights, state, commit);
  return `aggregated ${results.length} updates`;
}
