// Evaluating: the aggregated candidate is written, then every live site scores it on its own test
// split (flow: parent `commit`, one `evaluate` child per live site).

import { writeFileAtomic } from '../../shared/files/atomic.js';
import { f32ToBytes, firstNonFinite } from '../../shared/tensors/bytes.js';
import { addStepWithTasks } from '../queues/flows.js';
import type { CommitJobData } from '../queues/jobs.js';
import { jobIds, type RoundRef } from '../queues/names.js';
import { encodeState } from '../store/state-codec.js';
import type { StrategyState } from '../strategies/strategy.js';
import type { RoundContext } from './context.js';
import { roundFailed } from './finish.js';

/** Writes the candidate model and starts its evaluation; a non-finite candidate fails the round. */
export async function evaluateCandidate(
  ctx: RoundContext,
  ref: RoundRef,
  weights: Float32Array,
  state: StrategyState,
  commit: CommitJobData,
): Promise<boolean> {
  const bad = firstNonFinite(weights);
  if (bad >= 0) {
    await roundFailed(ctx, ref, `aggregation produced a non-finite weight at index ${bad}`);
    return false;
  }
  const file = ctx.paths.candidate(ref.experimentId, ref.round);
  writeFileAtomic(file, f32ToBytes(weights));
  writeFileAtomic(`${file}.state.json`, JSON.stringify({ state: encodeState(state) }));
  const rec = await ctx.records.get(ref.experimentId);
  const cfg = rec!.config;
  // Federated evaluation every eval.every rounds and after the last: the round's selected sites score it.
  const due = ref.round % cfg.eval.every === 0 || ref.round >= cfg.rounds;
  const evaluators = due ? (await ctx.registry.live()).filter((w) => commit.evaluateAt.includes(w.site)) : [];
  await ctx.records.update(ref.experimentId, { phase: due ? 'evaluating' : 'committing' });
  await addStepWithTasks(
    ctx.flows,
    { name: 'commit', data: commit, jobId: jobIds.commit(ref) },
    ref,
    { kind: 'evaluate' },
    evaluators,
  );
  return true;
}
