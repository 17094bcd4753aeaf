// Aggregating: once every `train` child finished or failed, check the quorum, fold the spooled updates
// with the strategy (one update in memory at a time), write the candidate model, and start evaluating.
import type { Job } from 'bullmq';
import fs from 'node:fs';
import { f32ToBytes, firstNonFinite } from '../../shared/tensors/bytes';
import { KEEP, taskChild } from '../queues/flows';
import { QUEUE_ROUNDS, jobIds, siteOfTaskJob } from '../queues/names';
import { createStrategy } from '../strategies';
import { weightedMetrics } from '../strategies/math';
import { writeFileAtomic } from '../store/atomic';
import { readSpool } from '../store/spool';
import type { AggregateJobData, CommitJobData, RoundContext, TaskJobResult } from './context';
import { roundFailed } from './finish';

export async function aggregateRound(ctx: RoundContext, job: Job<AggregateJobData>): Promise<string> {
  const { experimentId, round, attempt, selected, startedAt } = job.data;
  const ref = { experimentId, round, attempt };
  const rec = await ctx.records.get(experimentId);
  if (!rec || rec.status !== 'running') return 'experiment not running';
  if (ctx.checkpoints.exists(experimentId, round)) return 'already committed';
  const cfg = rec.config;
  const trainEndedAt = Date.now();
  const results = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'train');
  const failures: Record<string, string> = {};
  for (const [key, reason] of Object.entries(await job.getIgnoredChildrenFailures())) failures[siteOfTaskJob(key)] = reason;
  const quorum = cfg.clients.quorum ?? cfg.clients.min;
  if (results.length < quorum) {
    const why = Object.entries(failures)
      .map(([s, r]) => `${s}: ${r}`)
      .join('; ');
    await roundFailed(ctx, ref, `${results.length} of ${selected.length} updates arrived, quorum is ${quorum}${why ? ` (${why})` : ''}`);
    return 'quorum missed';
  }

  await ctx.records.update(experimentId, { phase: 'aggregating' });
  const t0 = Date.now();
  const strategy = createStrategy(cfg.strategy);
  const prev = ctx.checkpoints.read(experimentId, round - 1);
  const acc = strategy.createAccumulator(prev.weights.values.length);
  for (const r of results) {
    for (const { slice, offset } of readSpool(r.spoolFile!)) acc.fold(slice, offset, r.examples);
    acc.addWeight(r.examples);
  }
  const { weights, state } = strategy.aggregateFit(prev.weights.values, acc, prev.meta.strategyState);
  const bad = firstNonFinite(weights);
  if (bad >= 0) {
    await roundFailed(ctx, ref, `aggregation produced a non-finite weight at index ${bad}`);
    return 'non-finite aggregate';
  }
  writeFileAtomic(ctx.paths.candidate(experimentId, round), f32ToBytes(weights));
  writeFileAtomic(`${ctx.paths.candidate(experimentId, round)}.state.json`, JSON.stringify({ state }));
  const aggregateMs = Date.now() - t0;

  const train: CommitJobData['train'] = {};
  for (const r of results) {
    const { site, kind, spoolFile, ...rest } = r;
    void kind;
    void spoolFile;
    train[site] = rest;
  }
  const trainLoss = weightedMetrics(results.map((r) => ({ examples: r.examples, values: { loss: r.metrics['loss'] ?? NaN } })))['loss'] ?? NaN;
  const commit: CommitJobData = { ...ref, startedAt, trainEndedAt, aggregateMs, participants: results.map((r) => r.site).sort(), failures, train, trainLoss };

  // Evaluating: every live site scores the candidate on its own test split.
  await ctx.records.update(experimentId, { phase: 'evaluating' });
  const live = await ctx.registry.live();
  await ctx.flows.add({
    name: 'commit',
    queueName: QUEUE_ROUNDS,
    data: commit,
    opts: { jobId: jobIds.commit(ref), ...KEEP },
    children: live.map((w) => taskChild(ref, 'evaluate', w)),
  });
  return `aggregated ${results.length} updates`;
}

export function removeQuietly(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}
