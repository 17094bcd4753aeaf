// Secure aggregation as stages of the round, each a BullMQ flow (parent `secagg` with one task per
// client): advertise-keys -> share-keys -> masked-input -> unmasking -> aggregating. The coordinator
// only ever holds public keys, sealed shares, masked vectors, and the unmasked sum.
import type { Job } from 'bullmq';
import fs from 'node:fs';
import type { ExperimentConfig, SecAggStage } from '../../../shared/config/schema';
import { rng, sample, seedOf } from '../../../shared/random';
import { protocolContext, type RevealedShare } from '../../../shared/secagg/client';
import { defaultDegree, neighbourGraph, thresholdFor } from '../../../shared/secagg/graph';
import { dequantizeSum, levelsFor } from '../../../shared/secagg/quantize';
import { addMasked, unmaskSum } from '../../../shared/secagg/server';
import { addStepWithTasks } from '../../queues/flows';
import type { CommitJobData, SecAggJobData, TaskJobResult } from '../../queues/jobs';
import { type RoundRef, jobIds, siteOfTaskJob } from '../../queues/names';
import { DifferentialPrivacy } from '../../privacy/differential-privacy';
import { createStrategy } from '../../strategies';
import { writeFileAtomic } from '../../store/atomic';
import { readSpoolU32 } from '../../store/spool';
import { totalSize } from '../../../shared/tensors/weights';
import { openStep, type RoundContext } from '../context';
import { evaluateCandidate } from '../evaluate';
import { roundFailed } from '../finish';
import { readState, type SecAggState, writeState } from './state';

export async function startSecureAggregation(ctx: RoundContext, ref: RoundRef, cfg: ExperimentConfig, commit: CommitJobData, q: number): Promise<void> {
  const prevSpecs = ctx.checkpoints.readMeta(ref.experimentId, ref.round - 1).specs;
  const trained = commit.participants;
  const n = trained.length;
  const registry = new Map((await ctx.registry.all()).map((w) => [w.site, w]));
  const declared = trained.reduce((a, s) => a + (registry.get(s)?.datasets.reduce((x, d) => x + d.examples, 0) ?? 0), 0);
  const sa = cfg.secagg;
  const dp = DifferentialPrivacy.of(cfg);
  const state: SecAggState = {
    ...ref,
    mode: sa.mode as 'secagg' | 'secaggplus',
    degree: sa.neighbours ?? (sa.mode === 'secagg' ? 'all' : defaultDegree(n)),
    threshold: sa.threshold,
    graphSeed: `${ref.experimentId}|${ref.round}|${ref.attempt}|${cfg.seed}`,
    quant: {
      range: Math.max(sa.clip, 1),
      levels: levelsFor(n, sa.bits),
      // Public normaliser: each client sends (w / W) * delta and w / W, so all values lie in [-clip, clip].
      weightScale: dp ? n : Math.max(1, declared),
      noiseStd: dp ? dp.siteNoiseStd(n) : 0,
      uniformWeight: dp !== undefined,
    },
    length: totalSize(prevSpecs) + 1,
    trained,
    q,
    simulatedDropouts: [],
    stageMs: {},
    stageStartedAt: Date.now(),
    commit,
  };
  writeState(ctx.paths, state);
  await enqueueStage(ctx, state, 'advertise-keys', trained);
}

async function enqueueStage(ctx: RoundContext, state: SecAggState, stage: SecAggStage, sites: string[]): Promise<void> {
  const ref = { experimentId: state.experimentId, round: state.round, attempt: state.attempt };
  const registry = new Map((await ctx.registry.all()).map((w) => [w.site, w]));
  // A site that left the registry meanwhile simply drops out; the protocol tolerates it.
  const workers = sites.map((s) => registry.get(s)).filter((w): w is NonNullable<typeof w> => Boolean(w));
  await ctx.records.update(state.experimentId, { phase: stage });
  const data: SecAggJobData = { ...ref, stage };
  await addStepWithTasks(ctx.flows, { name: 'secagg', data, jobId: jobIds.secagg(ref, stage) }, ref, { kind: 'secagg', stage }, workers);
}

/** Simulation only: picks `count` clients to vanish after `stage` (seeded per round). */
function simulatedDropouts(cfg: ExperimentConfig, state: SecAggState, stage: SecAggStage, among: string[]): string[] {
  const d = cfg.secagg.dropout;
  if (!d || d.after !== stage) return [];
  return sample(among, Math.min(d.count, among.length), rng(seedOf(cfg.seed, state.round, state.attempt, 'dropout')));
}

/** Whether every secret the unmasking needs can be rebuilt from the sites in `from`. */
function recoverable(state: SecAggState, needed: string[], from: Set<string>): string | undefined {
  const graph = neighbourGraph(
    state.peers!.map((p) => p.site),
    state.degree,
    state.graphSeed,
  );
  for (const s of needed) {
    const ns = graph.get(s)!;
    const t = thresholdFor(ns.length, state.threshold);
    const have = ns.filter((j) => from.has(j)).length;
    if (have < t) return `${s}'s secrets need ${t} shares, only ${have} of its neighbours remain`;
  }
  return undefined;
}

export async function secaggStep(ctx: RoundContext, job: Job<SecAggJobData>): Promise<string> {
  const { experimentId, round, attempt, stage } = job.data;
  const ref = { experimentId, round, attempt };
  const rec = await openStep(ctx, ref, true);
  if (typeof rec === 'string') return rec;
  const cfg = rec.config;
  const state = readState(ctx.paths, experimentId, round, attempt);
  const results = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'secagg' && r.secagg?.stage === stage);
  for (const [key, reason] of Object.entries(await job.getIgnoredChildrenFailures())) state.commit.failures[siteOfTaskJob(key)] = `${stage}: ${reason}`;
  state.stageMs[stage] = Date.now() - state.stageStartedAt;
  state.stageStartedAt = Date.now();
  const fail = async (why: string) => {
    await roundFailed(ctx, ref, `secure aggregation, ${stage}: ${why}`);
    return `failed: ${why}`;
  };
  const bySite = (a: { site: string }, b: { site: string }) => a.site.localeCompare(b.site);

  switch (stage) {
    case 'advertise-keys': {
      let peers = results.map((r) => ({ site: r.site, cPk: r.secagg!.cPk!, sPk: r.secagg!.sPk! })).sort(bySite);
      const gone = simulatedDropouts(cfg, state, stage, peers.map((p) => p.site));
      state.simulatedDropouts.push(...gone);
      peers = peers.filter((p) => !gone.includes(p.site));
      if (peers.length < 3) return fail(`${peers.length} clients advertised keys; at least 3 are needed`);
      const graph = neighbourGraph(
        peers.map((p) => p.site),
        state.degree,
        state.graphSeed,
      );
      for (const [s, ns] of graph) if (ns.length < 2 || thresholdFor(ns.length, state.threshold) < 2) return fail(`${s} would have ${ns.length} neighbours; secrets need a threshold of at least 2`);
      state.peers = peers;
      writeState(ctx.paths, state);
      await enqueueStage(ctx, state, 'share-keys', peers.map((p) => p.site));
      return `${peers.length} clients advertised keys`;
    }
    case 'share-keys': {
      const sharers = results.map((r) => r.site).sort();
      const ok = new Set(sharers);
      state.sharers = sharers;
      state.sealed = results.flatMap((r) => r.secagg!.shares ?? []).filter((s) => ok.has(s.from) && ok.has(s.to));
      const gone = simulatedDropouts(cfg, state, stage, sharers);
      state.simulatedDropouts.push(...gone);
      state.maskers = sharers.filter((s) => !gone.includes(s));
      if (state.maskers.length < 2) return fail(`${state.maskers.length} clients left after share-keys`);
      // Every client that will mask needs t neighbours that shared keys, or it would refuse.
      const problem = recoverable(state, state.maskers, ok);
      if (problem) return fail(problem);
      writeState(ctx.paths, state);
      await enqueueStage(ctx, state, 'masked-input', state.maskers);
      return `${sharers.length} clients shared keys`;
    }
    case 'masked-input': {
      let survivors = results.filter((r) => r.spoolFile).map((r) => r.site).sort();
      const gone = simulatedDropouts(cfg, state, stage, survivors);
      state.simulatedDropouts.push(...gone);
      survivors = survivors.filter((s) => !gone.includes(s));
      // Fewer than t survivors around any needed secret: fail now, before anything is revealed.
      const alive = new Set(survivors);
      const problem = survivors.length < 2 ? `${survivors.length} masked inputs arrived` : recoverable(state, state.sharers!, alive);
      if (problem) return fail(problem);
      const sum = new Uint32Array(state.length);
      for (const r of results.filter((x) => alive.has(x.site))) for (const { slice, offset } of readSpoolU32(r.spoolFile!)) addMasked(sum.subarray(offset, offset + slice.length), slice);
      writeFileAtomic(ctx.paths.maskedSum(experimentId, round, attempt), new Uint8Array(sum.buffer));
      state.survivors = survivors;
      writeState(ctx.paths, state);
      await enqueueStage(ctx, state, 'unmasking', survivors);
      return `${survivors.length} masked inputs summed`;
    }
    case 'unmasking': {
      const t0 = Date.now();
      const alive = new Set(state.survivors!);
      const revealed: RevealedShare[] = results
        .filter((r) => alive.has(r.site))
        .flatMap((r) => (r.secagg!.revealed ?? []).map((x) => ({ owner: x.owner, kind: x.kind as RevealedShare['kind'], share: Buffer.from(x.share, 'base64') })));
      const raw = fs.readFileSync(ctx.paths.maskedSum(experimentId, round, attempt));
      const sum = new Uint32Array(state.length);
      new Uint8Array(sum.buffer).set(raw);
      try {
        await unmaskSum(sum, {
          experiment: protocolContext(state.experimentId, state.attempt),
          round,
          peers: state.peers!.map((p) => ({ site: p.site, cPk: Buffer.from(p.cPk, 'base64'), sPk: Buffer.from(p.sPk, 'base64') })),
          graph: { degree: state.degree, threshold: state.threshold, graphSeed: state.graphSeed },
          sharers: state.sharers!,
          survivors: state.survivors!,
          revealed,
        });
      } catch (e) {
        return fail((e as Error).message);
      }
      const v = dequantizeSum(sum, state.survivors!.length, state.quant.range, state.quant.levels);
      const params = state.length - 1;
      const totalWeight = v[params]!;
      if (!(totalWeight > 0)) return fail(`the aggregated weight is ${totalWeight}`);
      const strategy = createStrategy(cfg.strategy);
      // The config refuses robust strategies with secure aggregation; this guards the invariant.
      if (!strategy.linear) return fail(`${strategy.name} cannot aggregate a masked sum`);
      const prev = ctx.checkpoints.read(experimentId, round - 1);
      const acc = strategy.createAccumulator(params);
      acc.fold(v.subarray(0, params), 0, 1);
      acc.addWeight(totalWeight);
      const { weights, state: strategyState } = strategy.aggregateFit(prev.weights.values, acc, prev.meta.strategyState);
      const commit = state.commit;
      commit.evaluateAt ??= state.trained;
      commit.aggregateMs = Date.now() - t0;
      commit.participants = state.survivors!;
      const dropped = state.trained.filter((s) => !alive.has(s));
      commit.secure = {
        mode: state.mode,
        selected: state.trained.length,
        advertised: state.peers!.length,
        sharers: state.sharers!.length,
        survivors: state.survivors!.length,
        dropped,
        stageMs: { ...state.stageMs, unmasking: state.stageMs.unmasking ?? 0 },
      };
      for (const d of state.simulatedDropouts) commit.failures[d] ??= 'simulated dropout';
      // Each client added its share of the noise: dropouts leave the sum with less of it.
      const dp = DifferentialPrivacy.of(cfg);
      if (dp) commit.dp = dp.roundCost(state.q, state.survivors!.length, state.trained.length);
      await evaluateCandidate(ctx, ref, weights, strategyState, commit);
      return `unmasked the sum of ${state.survivors!.length} clients`;
    }
  }
}
