// The train task: local training from the global model, and the delta that leaves the site: attacked
// (simulation only), clipped and noised as the experiment and the site's policy say, then sent in
// chunks, kept for secure aggregation, or sent late by a simulated straggler.
import type * as tf from '@tensorflow/tfjs';
import { applyAttack } from '../shared/attack.js';
import type { SiteData } from '../shared/data/features.js';
import { getFlatWeights } from '../shared/models/zoo.js';
import { type Head, withholdHead } from '../shared/personalization/head.js';
import { clipL2 } from '../shared/privacy/clip.js';
import { addGaussianNoise } from '../shared/privacy/noise.js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import { seedOf } from '../shared/random.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import type { TestMetrics } from './evaluate-task.js';
import { releaseMetrics } from './metrics-release.js';
import type { Deferred, ModelTask, TaskContext } from './task-context.js';

/**
 * Trains `model` (holding the global weights) on the site's training rows and sends the delta, or
 * keeps it for secure aggregation. `before`: the global model's test metrics, when the site releases
 * them. A straggler (SiteOptions.slowdown) gets back its delayed send instead.
 */
export async function train(
  ctx: TaskContext,
  task: ModelTask,
  spec: TaskSpec,
  terms: SignedTerms | undefined,
  data: SiteData,
  model: tf.LayersModel,
  before: TestMetrics | undefined,
  local: {
    /** Local training other than the built-in loop (an app's, personalization's): it leaves the trained weights in `model`. */
    training?: () => Promise<{ loss: number; recordEpsilon?: number }>;
    /** FedPer and FedRep: the head the site keeps; its part of the delta is 0 before anything else is done with it. */
    withhold?: Head;
  } = {},
): Promise<Deferred | undefined> {
  const localTraining = local.training;
  const { header } = task;
  const { opts } = ctx;
  const t0 = Date.now();
  const seed = seedOf(spec.seed, opts.site, header.round);
  const trained = localTraining
    ? await localTraining()
    : await ctx.records.train(header.experimentId, ctx.dataset, model, data.train, spec, data.classes, seed);
  const after = getFlatWeights(model).values;
  const delta = new Float32Array(after.length);
  for (let i = 0; i < after.length; i++) delta[i] = (after[i] ?? 0) - (task.values[i] ?? 0);
  if (local.withhold) withholdHead(delta, task.specs, local.withhold);
  if (opts.attack) applyAttack(delta, opts.attack, seedOf(opts.site, header.round));
  // Differential privacy: the site bounds its own contribution before anything leaves.
  if (spec.dpClip !== undefined) clipL2(delta, spec.dpClip);
  // A minimum noise the site cannot check (central noise, added by the coordinator) is added here,
  // by the site itself, to its clipped delta. Under secure aggregation the site adds its share in
  // the masked-input stage instead, checked against the manifest.
  const minZ = opts.policy?.minNoiseMultiplier ?? 0;
  if (!spec.secure && minZ > 0 && spec.dpClip !== undefined) {
    // Fresh noise on a repeat of the round would average away: the noised update leaves once.
    if (terms) ctx.trust?.ledger.claim(terms, 'update-once', header.round, header.attempt);
    addGaussianNoise(delta, minZ * spec.dpClip);
    // Noise on the head's zeros would say nothing of it, but the head's part stays exactly 0.
    if (local.withhold) withholdHead(delta, task.specs, local.withhold);
  }
  if (task.cancelled) return undefined;
  const values = releaseMetrics(
    {
      loss: trained.loss,
      ...(before ? { startLoss: before.loss, startAccuracy: before.accuracy } : {}),
      trainMs: Date.now() - t0,
      ...(trained.recordEpsilon !== undefined ? { recordEpsilon: trained.recordEpsilon } : {}),
    },
    ctx.policy?.metrics,
  );
  if (spec.secure) {
    // The delta stays here; only its masked, quantised form leaves, in the masked-input stage.
    ctx.secure.keep(header.experimentId, header.round, header.attempt, {
      kind: 'delta',
      delta,
      examples: data.train.n,
    });
    await ctx.outbox.send({ metrics: { taskId: header.taskId, round: header.round, examples: 0, values } });
    ctx.done();
    return undefined;
  }
  const send = async () => {
    await ctx.outbox.send({
      metrics: { taskId: header.taskId, round: header.round, examples: data.train.n, values },
    });
    for (const c of chunkF32(delta)) {
      if (task.cancelled) return;
      await ctx.outbox.send({ updateChunk: { taskId: header.taskId, seq: c.seq, last: c.last, data: c.data } });
    }
    ctx.done();
    ctx.log.info(
      { task: header.taskId, round: header.round, loss: trained.loss, examples: data.train.n },
      'update sent',
    );
  };
  const slowdown = opts.slowdown ?? 1;
  if (slowdown <= 1) return void (await send());
  const waitMs = (slowdown - 1) * (Date.now() - t0);
  return async () => {
    try {
      await new Promise((r) => setTimeout(r, waitMs));
      if (!task.cancelled) await send();
    } catch (e) {
      await ctx.outbox.sendError(header.taskId, e);
    }
  };
}
