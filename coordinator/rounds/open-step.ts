// The opening of every round step (a no-op for an ended experiment or a committed round); the first
// step of an experiment cancelled from outside closes it (finish.ts).
import type { ExperimentRecord } from '../experiments/records.js';
import type { RoundRef } from '../queues/names.js';
import type { RoundContext } from './context.js';
import { closeCancelled } from './finish.js';

/**
 * The opening of every round step: the experiment's record while it is still running (and, with
 * `uncommitted`, while this round is not committed yet), or why the step has nothing to do. Steps
 * are retried and replayed by BullMQ, so a step for an ended experiment or a committed round is a no-op.
 */
export async function openStep(
  ctx: RoundContext,
  ref: Pick<RoundRef, 'experimentId' | 'round'>,
  uncommitted = false,
): Promise<ExperimentRecord | string> {
  const rec = await ctx.records.get(ref.experimentId);
  if (rec?.status === 'cancelled') {
    await closeCancelled(ctx, ref.experimentId);
    return 'experiment cancelled';
  }
  if (rec?.status !== 'running') return 'experiment not running';
  if (uncommitted && ctx.checkpoints.exists(ref.experimentId, ref.round)) return 'already committed';
  return rec;
}
