// Secure aggregation as stages of the round, each a BullMQ flow (parent `secagg` with one task per
// client): advertise-keys -> share-keys -> masked-input -> unmasking -> aggregating. The coordinator
// only ever holds public keys, sealed shares, masked vectors, and the unmasked sum.

import fs from 'node:fs';
import type { Job } from 'bullmq';
import { profileVectorLength, vectorToPooledProfile } from '../../../shared/analysis/profile.js';
import { analysePooled } from '../../../shared/analysis/summary.js';
import { type ExperimentConfig, SECAGG_STAGES } from '../../../shared/config/schema.js';
import { vectorToColumnSums } from '../../../shared/data/column-sums.js';
import { csvClassCount } from '../../../shared/data/features.js';
import { writeFileAtomic } from '../../../shared/files/atomic.js';
import { rng, sample, seedOf } from '../../../shared/random.js';
import { protocolContext, type RevealedShare } from '../../../shared/secagg/client.js';
import { decodeFixedPointSum, MAX_FIXED_POINT_SITES, WORDS_PER_VALUE } from '../../../shared/secagg/fixed-point.js';
import { graphSeedOf, neighbourGraph, thresholdFor } from '../../../shared/secagg/graph.js';
import { roundGraph, splitViewBound } from '../../../shared/secagg/parameters.js';
import { dequantizeSum, levelsFor } from '../../../shared/secagg/quantize.js';
import { addMasked, unmaskSum } from '../../../shared/secagg/server.js';
import { totalSize } from '../../../shared/tensors/weights.js';
import { DifferentialPrivacy } from '../../privacy/differential-privacy.js';
import { addStepWithTasks } from '../../queues/flows.js';
import type { CommitJobData, SecAggJobData, SelectJobData, TaskJobResult } from '../../queues/jobs.js';
import { jobIds, type RoundRef, siteOfTaskJob } from '../../queues/names.js';
import { readSpoolU32 } from '../../store/spool.js';
import { createStrategy } from '../../strategies/index.js';
import { applyStatistics, secureTotalProblem } from '../apply-statistics.js';
import type { RoundContext } from '../context.js';
import { evaluateCandidate } from '../evaluate.js';
import { failExperiment, finishExperiment, roundFailed, stopOutOfBudget } from '../finish.js';
import { openStep } from '../open-step.js';
import { writeAnalysis } from '../write-analysis.js';
import {
  type AdvertisedKeys,
  readState,
  type SecAggPurpose,
  type SecAggState,
  type StateAt,
  writeState,
} from './state.js';

/** Secure aggregation of a training round's deltas (weighed, quantised, with DP noise shares). */
export async function startSecureAggregation(
  ctx: RoundContext,
  ref: RoundRef,
  cfg: ExperimentConfig,
  commit: CommitJobData,
  q: number,
): Promise<void> {
  const prevSpecs = ctx.checkpoints.readMeta(ref.experimentId, ref.round - 1).specs;
  const trained = commit.participants;
  const n = trained.length;
  const registry = new Map((await ctx.registry.all()).map((w) => [w.site, w]));
  const declared = trained.reduce(
    (a, s) => a + (registry.get(s)?.datasets.reduce((x, d) => x + d.examples, 0) ?? 0),
    0,
  );
  const dp = DifferentialPrivacy.of(cfg);
  const quant = {
    range: Math.max(cfg.secagg.clip, 1),
    levels: levelsFor(n, cfg.secagg.bits),
    // Public normaliser: each client sends (w / W) * delta and w / W, so all values lie in [-clip, clip].
    weightScale: dp ? n : Math.max(1, declared),
    noiseStd: dp ? dp.siteNoiseStd(n) : 0,
    uniformWeight: dp !== undefined,
  };
  await begin(ctx, ref, cfg, trained, totalSize(prevSpecs) + 1, { kind: 'train', quant, commit, q });
}

/** Secure aggregation of the sites' column statistics (federated scaling, round 0), as fixed-point words. */
export async function startSecureStatistics(
  ctx: RoundContext,
  ref: RoundRef,
  cfg: ExperimentConfig,
  sites: string[],
  columns: string[],
  select: SelectJobData,
): Promise<void> {
  if (sites.length > MAX_FIXED_POINT_SITES) {
    await failExperiment(
      ctx,
      ref.experimentId,
      `federated scaling: secure column statistics take at most ${MAX_FIXED_POINT_SITES} sites, ${sites.length} are live`,
    );
    return;
  }
  // With data.analysis each site's profile rides in the same masked vector (shared/analysis/profile.ts).
  const d = cfg.data;
  const profile = d.format === 'csv' && d.analysis ? profileVectorLength(d, d.analysis, csvClassCount(d)) : 0;
  const length = WORDS_PER_VALUE * (1 + 3 * columns.length + profile);
  await begin(ctx, ref, cfg, sites, length, { kind: 'stats', columns, select });
}

async function begin(
  ctx: RoundContext,
  ref: RoundRef,
  cfg: ExperimentConfig,
  sites: string[],
  length: number,
  purpose: SecAggPurpose,
): Promise<void> {
  const sa = cfg.secagg;
  const parameters = roundGraph(cfg.secagg, sites.length);
  await advance(ctx, {
    ...ref,
    stage: 'advertise-keys',
    mode: sa.mode === 'secagg' ? 'secagg' : 'secaggplus',
    degree: parameters.degree,
    threshold: parameters.threshold,
    parameters,
    graphSeed: '', // set from the advertised keys once they are in (graphSeedOf)
    length,
    trained: sites,
    purpose,
    failures: {},
    simulatedDropouts: [],
    stageMs: {},
    stageStartedAt: Date.now(),
  });
}

/** Stores the state (now waiting for its stage), then asks that stage's clients. */
async function advance(ctx: RoundContext, state: SecAggState): Promise<void> {
  writeState(ctx.paths, state);
  await enqueueStage(ctx, state);
}

/** The clients asked in the stage the state waits for. */
function askedIn(state: SecAggState): string[] {
  switch (state.stage) {
    case 'advertise-keys':
      return state.trained;
    case 'share-keys':
      return state.peers.map((p) => p.site);
    case 'masked-input':
      return state.maskers;
    case 'consistency-check':
    case 'unmasking':
      return state.survivors;
  }
}

/** Adds the flow of the stage the state waits for (idempotent: its job ids are deterministic). */
async function enqueueStage(ctx: RoundContext, state: SecAggState): Promise<void> {
  const { stage } = state;
  const ref = { experimentId: state.experimentId, round: state.round, attempt: state.attempt };
  const registry = new Map((await ctx.registry.all()).map((w) => [w.site, w]));
  // A site that left the registry meanwhile simply drops out; the protocol tolerates it.
  const workers = askedIn(state)
    .map((s) => registry.get(s))
    .filter((w): w is NonNullable<typeof w> => Boolean(w));
  await ctx.records.update(state.experimentId, { phase: stage });
  const data: SecAggJobData = { ...ref, stage };
  await addStepWithTasks(
    ctx.flows,
    { name: 'secagg', data, jobId: jobIds.secagg(ref, stage) },
    ref,
    { kind: 'secagg', stage },
    workers,
  );
}

/** Simulation only: picks `count` clients to vanish after `stage` (seeded per round). */
function simulatedDropouts(cfg: ExperimentConfig, state: SecAggState, among: string[]): string[] {
  const d = cfg.secagg.dropout;
  // Training rounds only: the simulated dropout shows how a round recovers; statistics come once.
  if (!d || d.after !== state.stage || state.purpose.kind !== 'train') return [];
  return sample(among, Math.min(d.count, among.length), rng(seedOf(cfg.seed, state.round, state.attempt, 'dropout')));
}

/** Whether every secret the unmasking needs can be rebuilt from the sites in `from`. */
function recoverable(
  state: SecAggState,
  peers: AdvertisedKeys[],
  needed: string[],
  from: Set<string>,
): string | undefined {
  const graph = neighbourGraph(
    peers.map((p) => p.site),
    state.degree,
    state.graphSeed,
  );
  for (const s of needed) {
    const ns = graph.get(s) ?? [];
    const t = thresholdFor(ns.length, state.threshold);
    const have = ns.filter((j) => from.has(j)).length;
    if (have < t) return `${s}'s secrets need ${t} shares, only ${have} of its neighbours remain`;
  }
  return undefined;
}

type Step = { done: string } | { failed: string };

export async function secaggStep(ctx: RoundContext, job: Job<SecAggJobData>): Promise<string> {
  const { experimentId, round, attempt, stage } = job.data;
  const ref = { experimentId, round, attempt };
  // Column statistics run as round 0, whose checkpoint (the initial model) exists already.
  const rec = await openStep(ctx, ref, round > 0);
  if (typeof rec === 'string') return rec;
  const cfg = rec.config;
  const state = readState(ctx.paths, experimentId, round, attempt);
  if (state.stage !== stage) {
    // This step already advanced the state (a retry after a crash): make sure the next stage was asked.
    if (SECAGG_STAGES.indexOf(state.stage) === SECAGG_STAGES.indexOf(stage) + 1) await enqueueStage(ctx, state);
    return `already past ${stage} (at ${state.stage})`;
  }
  const results = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'secagg');
  for (const [key, reason] of Object.entries(await job.getIgnoredChildrenFailures()))
    state.failures[siteOfTaskJob(key)] = `${stage}: ${reason}`;
  state.stageMs[stage] = Date.now() - state.stageStartedAt;
  state.bytes = {
    up: (state.bytes?.up ?? 0) + results.reduce((a, r) => a + r.bytesUp, 0),
    down: (state.bytes?.down ?? 0) + results.reduce((a, r) => a + r.bytesDown, 0),
  };
  state.stageStartedAt = Date.now();
  let step: Step;
  switch (state.stage) {
    case 'advertise-keys':
      step = await advertised(ctx, cfg, state, results);
      break;
    case 'share-keys':
      step = await shared(ctx, cfg, state, results);
      break;
    case 'masked-input':
      step = await masked(ctx, cfg, state, results);
      break;
    case 'consistency-check':
      step = await checked(ctx, state, results);
      break;
    case 'unmasking':
      step = await unmasked(ctx, cfg, state, results);
      break;
  }
  if ('done' in step) return step.done;
  // Statistics are asked once (their job ids are fixed): without them the experiment cannot start.
  if (state.purpose.kind === 'stats')
    await failExperiment(ctx, experimentId, `federated scaling, secure aggregation, ${stage}: ${step.failed}`);
  else await roundFailed(ctx, ref, `secure aggregation, ${stage}: ${step.failed}`);
  return `failed: ${step.failed}`;
}

async function advertised(
  ctx: RoundContext,
  cfg: ExperimentConfig,
  state: StateAt<'advertise-keys'>,
  results: TaskJobResult[],
): Promise<Step> {
  const keys = results.flatMap((r) =>
    r.secagg?.stage === 'advertise-keys'
      ? [{ site: r.site, cPk: r.secagg.cPk, sPk: r.secagg.sPk, gPk: r.secagg.gPk, keySignature: r.secagg.keySignature }]
      : [],
  );
  const gone = simulatedDropouts(
    cfg,
    state,
    keys.map((p) => p.site),
  );
  state.simulatedDropouts.push(...gone);
  const peers = keys.filter((p) => !gone.includes(p.site)).sort((a, b) => a.site.localeCompare(b.site));
  if (peers.length < 3) return { failed: `${peers.length} clients advertised keys; at least 3 are needed` };
  const b = (x: string) => Buffer.from(x, 'base64');
  state.graphSeed = graphSeedOf(peers.map((p) => ({ site: p.site, cPk: b(p.cPk), sPk: b(p.sPk), gPk: b(p.gPk) })));
  // k, t and each site's noise share follow from the manifest and the number of peers that advertised
  // keys: every site recomputes them from its approved manifest and refuses anything else.
  state.parameters = roundGraph(cfg.secagg, peers.length);
  state.degree = state.parameters.degree;
  state.threshold = state.parameters.threshold;
  const dp = DifferentialPrivacy.of(cfg);
  if (state.purpose.kind === 'train' && dp) state.purpose.quant.noiseStd = dp.siteNoiseStd(peers.length);
  const graph = neighbourGraph(
    peers.map((p) => p.site),
    state.degree,
    state.graphSeed,
  );
  if (state.degree === 'all' && peers.length > 256)
    return {
      failed: `classic secagg shares with every other client, at most 255 (GF(256)); ${peers.length} advertised: use secaggplus`,
    };
  // One bound per neighbourhood size (a Harary graph has one or two): it costs a millisecond or two to
  // compute, and a round may have 100,000 clients.
  const bounds = new Map<number, number>();
  const boundOf = (k: number) => {
    const known = bounds.get(k);
    if (known !== undefined) return known;
    const c = splitViewBound(cfg.secagg, peers.length, k);
    bounds.set(k, c);
    return c;
  };
  for (const [s, ns] of graph) {
    const t = thresholdFor(ns.length, state.threshold);
    if (ns.length < 2 || t < 2)
      return { failed: `${s} would have ${ns.length} neighbours; secrets need a threshold of at least 2` };
    // t > (k + c)/2: otherwise two groups shown different survivor sets, each joined by the c
    // colluders (or corrupt neighbours the stated fraction implies), could each rebuild one of its
    // secrets. Every site checks the same and would refuse.
    const c = boundOf(ns.length);
    const bound = (ns.length + c) / 2;
    if (t <= bound)
      return {
        failed: `${s} has ${ns.length} neighbours and a threshold of ${t}; to outvote ${c} colluding or corrupt neighbours (secagg.colludingSites ${cfg.secagg.colludingSites}, corruptFraction ${cfg.secagg.corruptFraction}) it must exceed ${bound}`,
      };
  }
  await advance(ctx, { ...state, stage: 'share-keys', peers });
  return { done: `${peers.length} clients advertised keys` };
}

async function shared(
  ctx: RoundContext,
  cfg: ExperimentConfig,
  state: StateAt<'share-keys'>,
  results: TaskJobResult[],
): Promise<Step> {
  const sharers = results.map((r) => r.site).sort();
  const ok = new Set(sharers);
  // Shares are routed by their authenticated sender (the session checked "from"); a second share for the
  // same recipient is dropped here, so a malicious site cannot make an honest one abort on a duplicate.
  const seen = new Set<string>();
  const sealed = results
    .flatMap((r) => (r.secagg?.stage === 'share-keys' ? r.secagg.shares : []))
    .filter((s) => {
      const pair = `${s.from}>${s.to}`;
      if (!ok.has(s.from) || !ok.has(s.to) || seen.has(pair)) return false;
      seen.add(pair);
      return true;
    });
  const gone = simulatedDropouts(cfg, state, sharers);
  state.simulatedDropouts.push(...gone);
  const maskers = sharers.filter((s) => !gone.includes(s));
  if (maskers.length < 2) return { failed: `${maskers.length} clients left after share-keys` };
  // Every client that will mask needs t neighbours that shared keys, or it would refuse.
  const problem = recoverable(state, state.peers, maskers, ok);
  if (problem) return { failed: problem };
  const commitments = Object.fromEntries(
    results.flatMap((r) => (r.secagg?.stage === 'share-keys' && ok.has(r.site) ? [[r.site, r.secagg.commitment]] : [])),
  );
  await advance(ctx, { ...state, stage: 'masked-input', sharers, sealed, maskers, commitments });
  return { done: `${sharers.length} clients shared keys` };
}

async function masked(
  ctx: RoundContext,
  cfg: ExperimentConfig,
  state: StateAt<'masked-input'>,
  results: TaskJobResult[],
): Promise<Step> {
  const uploads = new Map(results.flatMap((r) => (r.spoolFile ? [[r.site, r.spoolFile] as const] : [])));
  const gone = simulatedDropouts(cfg, state, [...uploads.keys()]);
  state.simulatedDropouts.push(...gone);
  const survivors = [...uploads.keys()].filter((s) => !gone.includes(s)).sort();
  // Fewer than t survivors around any needed secret: fail now, before anything is revealed.
  const alive = new Set(survivors);
  const problem =
    survivors.length < 2
      ? `${survivors.length} masked inputs arrived`
      : recoverable(state, state.peers, state.sharers, alive);
  if (problem) return { failed: problem };
  // Differential privacy: the noise in the sum is known now (the shares of the sites whose masked
  // inputs arrived), before any secret is revealed. Checked here, not only at commit: by then the
  // coordinator would have unmasked the sum and sent the candidate to the sites to evaluate.
  const dp = DifferentialPrivacy.of(cfg);
  if (dp && state.purpose.kind === 'train') {
    const cost = dp.distributedRoundCost(state.purpose.q, survivors.length, state.peers.length);
    if (dp.noiseMultiplier > 0 && !(cost.effectiveNoiseMultiplier > 0))
      return {
        failed: `only ${survivors.length} sites added noise, no more than the ${dp.colludingSites} that may collude`,
      };
    const ref = { experimentId: state.experimentId, round: state.round, attempt: state.attempt };
    const why = dp.overBudgetAsAdded(
      ctx.checkpoints.readMeta(ref.experimentId, ref.round - 1).privacy,
      cost,
      ref.round,
      'before unmasking',
    );
    if (why) {
      await stopOutOfBudget(ctx, ref, why);
      return { done: why };
    }
  }
  const sum = new Uint32Array(state.length);
  for (const site of survivors)
    for (const { slice, offset } of readSpoolU32(uploads.get(site) ?? ''))
      addMasked(sum.subarray(offset, offset + slice.length), slice);
  writeFileAtomic(ctx.paths.maskedSum(state.experimentId, state.round, state.attempt), new Uint8Array(sum.buffer));
  await advance(ctx, { ...state, stage: 'consistency-check', survivors });
  return { done: `${survivors.length} masked inputs summed` };
}

/**
 * The consistency check (Bonawitz et al. 2017): each survivor signed the survivor set it was shown;
 * every signature goes to every survivor, who reveals nothing unless t of them signed its own set.
 */
async function checked(
  ctx: RoundContext,
  state: StateAt<'consistency-check'>,
  results: TaskJobResult[],
): Promise<Step> {
  const alive = new Set(state.survivors);
  const signatures = results.flatMap((r) =>
    r.secagg?.stage === 'consistency-check' && alive.has(r.site)
      ? [{ site: r.site, signature: r.secagg.signature }]
      : [],
  );
  if (signatures.length < 2) return { failed: `${signatures.length} survivors signed the survivor set` };
  await advance(ctx, { ...state, stage: 'unmasking', signatures });
  return { done: `${signatures.length} survivors signed the survivor set` };
}

async function unmasked(
  ctx: RoundContext,
  cfg: ExperimentConfig,
  state: StateAt<'unmasking'>,
  results: TaskJobResult[],
): Promise<Step> {
  const t0 = Date.now();
  const { experimentId, round, attempt } = state;
  const alive = new Set(state.survivors);
  const revealed: RevealedShare[] = results
    .filter((r) => alive.has(r.site))
    .flatMap((r) => (r.secagg?.stage === 'unmasking' ? r.secagg.revealed : []))
    .map((x) => ({ owner: x.owner, kind: x.kind, share: Buffer.from(x.share, 'base64') }));
  const raw = fs.readFileSync(ctx.paths.maskedSum(experimentId, round, attempt));
  const sum = new Uint32Array(state.length);
  new Uint8Array(sum.buffer).set(raw);
  try {
    await unmaskSum(sum, {
      experiment: protocolContext(experimentId, attempt),
      round,
      peers: state.peers.map((p) => ({
        site: p.site,
        cPk: Buffer.from(p.cPk, 'base64'),
        sPk: Buffer.from(p.sPk, 'base64'),
      })),
      graph: { degree: state.degree, threshold: state.threshold, graphSeed: state.graphSeed },
      sharers: state.sharers,
      survivors: state.survivors,
      revealed,
      commitments: new Map(Object.entries(state.commitments).map(([s, c]) => [s, Buffer.from(c, 'base64')])),
    });
  } catch (e) {
    return { failed: (e as Error).message };
  }
  if (state.purpose.kind === 'stats') {
    const decoded = decodeFixedPointSum(sum, state.survivors.length);
    const total = vectorToColumnSums(decoded, state.purpose.columns);
    const d = cfg.data;
    if (d.format === 'csv' && d.analysis) {
      const rest = decoded.subarray(1 + 3 * state.purpose.columns.length);
      const pooled = vectorToPooledProfile(rest, d, d.analysis, csvClassCount(d), state.survivors.length);
      const flags = writeAnalysis(
        ctx,
        experimentId,
        cfg.name,
        d,
        analysePooled(pooled.profile, pooled.releasedBy, state.survivors.length, d, d.analysis),
      );
      await ctx.records.event(
        experimentId,
        `federated analysis pooled under secure aggregation from ${state.survivors.length} sites (${flags} flags)`,
      );
      if (d.analysis.only) {
        await finishExperiment(ctx, experimentId);
        return { done: `analysis of ${state.survivors.length} sites unmasked; no training asked` };
      }
    }
    // Fatal (secaggStep fails the experiment): the sum cannot name the site that broke the ranges.
    const impossible = secureTotalProblem(cfg, total, state.survivors.length);
    if (impossible) return { failed: impossible };
    const how = `summed under secure aggregation from ${state.survivors.length} of ${state.trained.length} sites`;
    await applyStatistics(ctx, state.purpose.select, [total], how);
    return { done: `column statistics of ${state.survivors.length} sites unmasked` };
  }
  const { quant, commit, q } = state.purpose;
  const v = dequantizeSum(sum, state.survivors.length, quant.range, quant.levels);
  const params = state.length - 1;
  const totalWeight = v[params] ?? 0;
  if (!(totalWeight > 0)) return { failed: `the aggregated weight is ${totalWeight}` };
  const strategy = createStrategy(cfg.strategy);
  // The config refuses robust strategies with secure aggregation; this guards the invariant.
  if (!strategy.linear) return { failed: `${strategy.name} cannot aggregate a masked sum` };
  const prev = ctx.checkpoints.read(experimentId, round - 1);
  const acc = strategy.createAccumulator(params);
  acc.fold(v.subarray(0, params), 0, 1);
  acc.addWeight(totalWeight);
  const { weights, state: strategyState } = strategy.aggregateFit(prev.weights.values, acc, prev.meta.strategyState);
  commit.evaluateAt ??= state.trained;
  Object.assign(commit.failures, state.failures);
  commit.aggregateMs = Date.now() - t0;
  commit.participants = state.survivors;
  commit.secure = {
    mode: state.mode,
    selected: state.trained.length,
    advertised: state.peers.length,
    sharers: state.sharers.length,
    survivors: state.survivors.length,
    dropped: state.trained.filter((s) => !alive.has(s)),
    stageMs: { ...state.stageMs, unmasking: state.stageMs.unmasking ?? 0 },
    parameters: state.parameters,
  };
  if (state.bytes) commit.secureBytes = state.bytes;
  for (const d of state.simulatedDropouts) commit.failures[d] ??= 'simulated dropout';
  // Each client added its share of the noise: dropouts (and colluders) leave the sum with less of it.
  const dp = DifferentialPrivacy.of(cfg);
  if (dp) {
    // Each peer added the share of a round of state.peers.length sites (the noise it was asked for).
    commit.dp = dp.distributedRoundCost(q, state.survivors.length, state.peers.length);
    // masked() refuses this before unmasking already (and a sum over the budget); this guards the invariant.
    if (dp.noiseMultiplier > 0 && !(commit.dp.effectiveNoiseMultiplier > 0))
      return {
        failed: `only ${state.survivors.length} sites added noise, no more than the ${dp.colludingSites} that may collude`,
      };
  }
  await evaluateCandidate(ctx, { experimentId, round, attempt }, weights, strategyState, commit);
  return { done: `unmasked the sum of ${state.survivors.length} clients` };
}
