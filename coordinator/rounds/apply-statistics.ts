// The end of federated scaling: the global column statistics, combined from the sites' sums (in clear,
// or summed under secure aggregation), are stored with the experiment; then the first round is selected.
import { type ColumnSums, combineColumnSums } from '../../shared/data/column-sums.js';
import { enqueueSelect } from '../queues/flows.js';
import type { SelectJobData } from '../queues/jobs.js';
import type { RoundContext } from './context.js';

export async function applyStatistics(
  ctx: RoundContext,
  select: SelectJobData,
  parts: ColumnSums[],
  how: string,
): Promise<void> {
  const stats = combineColumnSums(parts);
  await ctx.records.setStats(select.experimentId, stats);
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  await ctx.records.event(select.experimentId, `federated scaling: column statistics ${how} (${rows} training rows)`);
  await enqueueSelect(ctx.rounds, { ...select, since: Date.now() }, 0, '-after-stats');
}
