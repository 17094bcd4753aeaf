// The global model on the site's test rows: the metrics an evaluate task sends, and the start metrics
// a train task sends beside its update, each only when the site releases them.
import type * as tf from '@tensorflow/tfjs';
import type { SiteData } from '../shared/data/features.js';
import { evaluateLocal } from '../shared/models/train.js';
import { histogramMetrics } from '../shared/stats/score-histogram.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { checkTestSize, releaseMetrics } from './metrics-release.js';
import type { ModelTask, TaskContext } from './task-context.js';

export type TestMetrics = Awaited<ReturnType<typeof evaluateLocal>>;

/**
 * Metrics of the task's model on the site's test rows, when the site releases them: the model must
 * be tied to the approved experiment (model-ties.ts), the test rows many enough, and the data set's
 * evaluation budget not spent. An evaluate task that fails these is refused; a train task trains
 * without start metrics when the test rows are too few.
 */
export async function testMetrics(
  ctx: TaskContext,
  task: ModelTask,
  terms: SignedTerms | undefined,
  data: SiteData,
  model: tf.LayersModel,
): Promise<TestMetrics | undefined> {
  return (await releasesTestMetrics(ctx, task, terms, data))
    ? evaluateLocal(model, data.test, data.classes)
    : undefined;
}

/**
 * Whether the site releases metrics of the task's model on its test rows (see testMetrics); when it
 * does, the evaluation is charged to the data set's budget here, before anything is scored.
 */
export async function releasesTestMetrics(
  ctx: TaskContext,
  task: ModelTask,
  terms: SignedTerms | undefined,
  data: SiteData,
): Promise<boolean> {
  const { header } = task;
  // The model after round r is evaluated in round r and trained from in round r + 1.
  const index = task.kind === 'evaluate' ? header.round : header.round - 1;
  const digest = terms ? await ctx.ties.tie(terms, index, task.values) : undefined;
  const rules = ctx.policy?.metrics;
  if (rules) {
    if (task.kind === 'evaluate') checkTestSize(rules, data.test.n);
    else if (data.test.n < rules.minTestRows) return false;
  }
  if (digest) ctx.budget.chargeEvaluation(ctx.dataset, digest, header.experimentId);
  return true;
}

/**
 * Sends an evaluate task's answer: the global model's test metrics `m`, as the site releases them,
 * with the counts the coordinator sums over sites for its intervals (coordinator/rounds/site-evaluation.ts):
 * `correct`, the test rows predicted right, and for binary labels the histograms of the scores by label
 * (roc.pos.<bin>, roc.neg.<bin>; shared/stats/score-histogram.ts). Counts are whole numbers, which the
 * site's rounding to `decimals` (0 to 6) leaves as they are.
 */
export async function sendEvaluation(
  ctx: TaskContext,
  task: ModelTask,
  data: SiteData,
  m: TestMetrics,
  /** Personalization: the site's personal model's metrics, sent as personal.<name>. */
  personal?: TestMetrics,
): Promise<void> {
  const { header } = task;
  const values = releaseMetrics(
    {
      loss: m.loss,
      accuracy: m.accuracy,
      ...(m.auc !== undefined ? { auc: m.auc } : {}),
      ...(m.correct !== undefined ? { correct: m.correct } : {}),
      ...(m.scoreHistogram ? histogramMetrics(m.scoreHistogram) : {}),
      ...m.extra,
      ...(personal ? personalMetrics(personal) : {}),
    },
    ctx.policy?.metrics,
  );
  await ctx.outbox.send({
    metrics: { taskId: header.taskId, round: header.round, examples: data.test.n, values },
  });
  ctx.done();
}

/** A personal model's accuracy, loss, count of correct rows and AUC, as personal.<name>. */
function personalMetrics(p: TestMetrics): Record<string, number> {
  return {
    'personal.accuracy': p.accuracy,
    'personal.loss': p.loss,
    ...(p.correct !== undefined ? { 'personal.correct': p.correct } : {}),
    ...(p.auc !== undefined ? { 'personal.auc': p.auc } : {}),
  };
}
