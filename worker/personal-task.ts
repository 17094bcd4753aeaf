// Train and evaluate tasks of a personalized experiment (spec.personalization): the site trains its
// head or personal model beside the global one and keeps it (personal-models.ts); what leaves is the
// global delta, with the head's part withheld (FedPer, FedRep), and the test metrics of both models.
import type * as tf from '@tensorflow/tfjs';
import type { PersonalizationConfig } from '../shared/config/schema.js';
import type { SiteData } from '../shared/data/features.js';
import { evaluateLocal } from '../shared/models/train.js';
import { getFlatWeights, setFlatWeights } from '../shared/models/zoo.js';
import { type Head, headOf, putHead, takeHead } from '../shared/personalization/head.js';
import { fineTune, trainDittoPersonal, trainWithHead } from '../shared/personalization/train.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import { seedOf } from '../shared/random.js';
import type { FlatWeights } from '../shared/tensors/weights.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { sendEvaluation, type TestMetrics, testMetrics } from './evaluate-task.js';
import type { PersonalModels } from './personal-models.js';
import type { Deferred, ModelTask, TaskContext } from './task-context.js';
import { train } from './train-task.js';

const keepsHead = (p: PersonalizationConfig) => p.method === 'fedper' || p.method === 'fedrep';

/** The personal model's weights: the global ones with the site's head, or Ditto's personal model. */
function personalWeights(
  p: PersonalizationConfig,
  kept: PersonalModels,
  id: string,
  global: FlatWeights,
  head: Head | undefined,
): FlatWeights {
  if (head) {
    const stored = kept.get(id, head.size);
    const values = global.values.slice();
    if (stored) putHead(values, global.specs, head, stored);
    return { specs: global.specs, values };
  }
  if (p.method === 'ditto') return { specs: global.specs, values: kept.get(id, global.values.length) ?? global.values };
  return global;
}

/** The audit note of a train task: what the site kept for itself and what it sent (`what`). */
function noteKept(ctx: TaskContext, task: ModelTask, p: PersonalizationConfig, what: Record<string, unknown>): void {
  const { taskId, experimentId, round } = task.header;
  ctx.note('personalization', { taskId, experimentId, round, method: p.method, ...what });
}

/** A train task under personalization; `model` holds the global weights. */
export async function trainPersonalized(
  ctx: TaskContext,
  kept: PersonalModels,
  task: ModelTask,
  spec: TaskSpec,
  terms: SignedTerms | undefined,
  data: SiteData,
  model: tf.LayersModel,
  before: TestMetrics | undefined,
): Promise<Deferred | undefined> {
  const p = spec.personalization!;
  const id = task.header.experimentId;
  const global = { specs: task.specs, values: task.values };
  const seed = seedOf(spec.seed, ctx.opts.site, task.header.round);
  const run = (t: TaskSpec['train'], only?: readonly number[]) =>
    ctx.records.train(id, ctx.dataset, model, data.train, { ...spec, train: t }, data.classes, seed, only);
  if (keepsHead(p)) {
    const head = headOf(model, p.head);
    setFlatWeights(model, personalWeights(p, kept, id, global, head));
    return train(ctx, task, spec, terms, data, model, before, {
      withhold: head,
      training: async () => {
        const r = await trainWithHead(model, p, head, spec.train, run);
        kept.set(id, takeHead(getFlatWeights(model).values, task.specs, head));
        // On record: what the site kept, and that its part of the update is 0 (the chunks that follow
        // are logged by digest: whoever holds the update can check both).
        noteKept(ctx, task, p, {
          kept: 'head',
          tensors: head.tensors.map((i) => task.specs[i]!.shape),
          values: head.size,
          sent: 'zeros',
        });
        return r;
      },
    });
  }
  if (p.method === 'ditto')
    return train(ctx, task, spec, terms, data, model, before, {
      training: async () => {
        const r = await run(spec.train);
        const trained = getFlatWeights(model);
        const start = personalWeights(p, kept, id, global, undefined);
        const seedP = seedOf(spec.seed, ctx.opts.site, task.header.round, 'ditto');
        kept.set(
          id,
          await trainDittoPersonal(model, start, global, p.lambda, data.train, spec.train, data.classes, seedP),
        );
        noteKept(ctx, task, p, {
          kept: 'personal model',
          values: start.values.length,
          sent: 'the global model delta only',
        });
        // The delta is the global model's: train() reads it from the model.
        setFlatWeights(model, trained);
        return r;
      },
    });
  return train(ctx, task, spec, terms, data, model, before);
}

/**
 * An evaluate task under personalization: the global model's metrics as without it, and beside them
 * the personal model's (personal.accuracy, personal.loss, personal.correct, personal.auc), which the
 * site then exports to its folder. The evaluation is charged once: the personal model is the site's
 * own answer to the same global model.
 */
export async function evaluatePersonalized(
  ctx: TaskContext,
  kept: PersonalModels,
  task: ModelTask,
  spec: TaskSpec,
  terms: SignedTerms | undefined,
  data: SiteData,
  model: tf.LayersModel,
): Promise<void> {
  const p = spec.personalization!;
  const id = task.header.experimentId;
  const global = { specs: task.specs, values: task.values };
  // Throws, as without personalization, when the site releases no metrics (TEST_TOO_SMALL, UNTIED_MODEL).
  const m = (await testMetrics(ctx, task, terms, data, model))!;
  // The model then holds the personal weights, which are scored and exported as they are.
  if (p.method === 'finetune') {
    const seed = seedOf(spec.seed, ctx.opts.site, task.header.round, 'finetune');
    await fineTune(model, global, p.fineTuneEpochs, data.train, spec.train, data.classes, seed);
  } else setFlatWeights(model, personalWeights(p, kept, id, global, keepsHead(p) ? headOf(model, p.head) : undefined));
  const personal = await evaluateLocal(model, data.test, data.classes);
  const dir = await kept.export(id, spec.data, model);
  ctx.log.info(
    { task: task.header.taskId, round: task.header.round, accuracy: m.accuracy, personal: personal.accuracy, dir },
    'personal model evaluated and exported at the site',
  );
  await sendEvaluation(ctx, task, data, m, personal);
}
