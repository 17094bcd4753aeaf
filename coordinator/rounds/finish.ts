// The ends of rounds and experiments: a failed round is retried with the global model untouched;
// a finished experiment exports its model and report to the store.
import fs from 'node:fs';
import { removeQuietly, writeFileAtomic } from '../../shared/files/atomic.js';
import { bestRound } from '../experiments/best-round.js';
import { type ExperimentRecord, ExperimentRecords } from '../experiments/records.js';
import { buildReport } from '../experiments/report.js';
import { htmlReport } from '../experiments/report-html.js';
import { experimentMarkdown } from '../experiments/report-markdown.js';
import { enqueueSelect } from '../queues/flows.js';
import type { RoundRef } from '../queues/names.js';
import type { RoundContext } from './context.js';

/** Delay before the n-th retry of a failed round is n times this. */
export const RETRY_BACKOFF_MS = 2000;

export async function roundFailed(ctx: RoundContext, ref: RoundRef, why: string): Promise<void> {
  const rec = await ctx.records.get(ref.experimentId);
  if (!rec) return;
  removeQuietly(ctx.paths.spoolDir(ref.experimentId, ref.round, ref.attempt));
  await ctx.records.event(ref.experimentId, `round ${ref.round} attempt ${ref.attempt} failed: ${why}`);
  ctx.log.warn({ experiment: ref.experimentId, round: ref.round, attempt: ref.attempt, why }, 'round failed');
  if (ref.attempt >= rec.config.roundAttempts) {
    await failExperiment(ctx, ref.experimentId, `round ${ref.round} failed ${ref.attempt} times; last: ${why}`);
    return;
  }
  await ctx.records.update(ref.experimentId, { phase: 'selecting (retry)' });
  // Back off before retrying: workers may be reconnecting after a coordinator restart.
  await enqueueSelect(
    ctx.rounds,
    { experimentId: ref.experimentId, round: ref.round, attempt: ref.attempt + 1, since: Date.now() },
    RETRY_BACKOFF_MS * ref.attempt,
  );
}

export async function failExperiment(ctx: RoundContext, id: string, why: string): Promise<void> {
  await ctx.records.event(id, `experiment failed: ${why}`);
  await exportLastModel(ctx, id);
  await endExperiment(ctx, id, { status: 'failed', phase: 'failed', error: why });
  ctx.log.error({ experiment: id, why }, 'experiment failed');
}

/**
 * An experiment cancelled from outside (`accord cancel` writes only its record): the first step that
 * finds it, or a coordinator starting, exports its last committed model, writes its reports and
 * removes what its rounds left. Once: the report marks it done.
 */
export async function closeCancelled(ctx: RoundContext, id: string): Promise<void> {
  const rec = await ctx.records.get(id);
  if (rec?.status !== 'cancelled' || fs.existsSync(ctx.paths.report(id))) return;
  const committed = await exportLastModel(ctx, id);
  await endExperiment(ctx, id, { status: 'cancelled', phase: 'cancelled', committed });
  ctx.log.info({ experiment: id, rounds: committed }, 'cancelled experiment closed: model and report written');
}

/**
 * Exports the last committed model (the initial one when no round committed) to model/, and the
 * best-scoring round's to model-best/ when that is another round; returns the last round, or 0.
 */
async function exportLastModel(ctx: RoundContext, id: string): Promise<number> {
  // TF.js loads on first use, not with the coordinator (its first listen counts for recovery).
  const { exportModel } = await import('../../shared/models/export.js');
  const rec = await ctx.records.get(id);
  const last = ctx.checkpoints.latest(id);
  if (!rec || last < 0) return 0;
  const cfg = ExperimentRecords.effectiveConfig(rec);
  await exportModel(cfg, ctx.checkpoints.read(id, last).weights, ctx.paths.modelDir(id));
  const best = bestRound(await ctx.records.rounds(id));
  if (best && best.round !== last && ctx.checkpoints.exists(id, best.round))
    await exportModel(cfg, ctx.checkpoints.read(id, best.round).weights, ctx.paths.bestModelDir(id));
  return last;
}

/**
 * Writes the report as of the final state, then marks the record ended. In that order because
 * readers (accord simulate, report) take the status as the signal that the report is there.
 */
async function endExperiment(
  ctx: RoundContext,
  id: string,
  end: Pick<ExperimentRecord, 'status' | 'phase'> & Partial<Pick<ExperimentRecord, 'error' | 'committed'>>,
): Promise<void> {
  const rec = await ctx.records.get(id);
  if (!rec) return;
  const report = buildReport(
    { ...rec, ...end, updatedAt: Date.now() },
    await ctx.records.rounds(id),
    await ctx.records.events(id),
    await ctx.records.trustRecords(id),
  );
  writeFileAtomic(ctx.paths.reportHtml(id), htmlReport(report));
  writeFileAtomic(ctx.paths.reportMarkdown(id), experimentMarkdown(report));
  writeFileAtomic(ctx.paths.report(id), JSON.stringify(report, null, 2));
  await ctx.records.update(id, end);
  // An ended experiment keeps its checkpoints, model and reports, nothing of its rounds in flight.
  for (const dir of ctx.paths.roundLeftovers(id)) removeQuietly(dir);
}

/** Ends an experiment early but cleanly (e.g. its privacy budget): the last committed model is exported. */
export async function stopExperiment(ctx: RoundContext, id: string, why: string): Promise<void> {
  await ctx.records.update(id, { stopped: why });
  await ctx.records.event(id, `stopped: ${why}`);
  ctx.log.info({ experiment: id, why }, 'experiment stopped');
  await finishExperiment(ctx, id);
}

/**
 * A round whose noise would take epsilon above dp.maxEpsilon (the reason says the priced and the actual
 * epsilon): it is not committed, its files (spooled uploads, masked sum, secure-aggregation state,
 * candidate) go, and the experiment stops out of budget with the last committed model.
 */
export async function stopOutOfBudget(ctx: RoundContext, ref: RoundRef, why: string): Promise<void> {
  ctx.log.warn({ experiment: ref.experimentId, round: ref.round, attempt: ref.attempt, why }, 'round not committed');
  await stopExperiment(ctx, ref.experimentId, why);
  removeRoundFiles(ctx, ref);
}

/** What a round attempt leaves in the store until it is committed (or dropped). */
export function removeRoundFiles(ctx: RoundContext, ref: RoundRef): void {
  removeQuietly(ctx.paths.spoolDir(ref.experimentId, ref.round, ref.attempt));
  removeQuietly(ctx.paths.secaggState(ref.experimentId, ref.round, ref.attempt));
  removeQuietly(ctx.paths.maskedSum(ref.experimentId, ref.round, ref.attempt));
  removeQuietly(ctx.paths.candidate(ref.experimentId, ref.round));
  removeQuietly(`${ctx.paths.candidate(ref.experimentId, ref.round)}.state.json`);
}

export async function finishExperiment(ctx: RoundContext, id: string): Promise<void> {
  const rec = await ctx.records.get(id);
  if (!rec) return;
  const last = await exportLastModel(ctx, id);
  await endExperiment(ctx, id, { status: 'completed', phase: 'completed', committed: last });
  ctx.log.info({ experiment: id, rounds: last, model: ctx.paths.modelDir(id) }, 'experiment completed');
}
