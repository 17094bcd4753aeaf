// Federated feature scaling: sum the sites' per-column counts, sums and sums of squares into global
// means and standard deviations (no row leaves a site), store them with the experiment, then select.
import type { Job } from 'bullmq';
import { type ColumnSums, combineColumnSums, metricsToColumnSums } from '../../shared/data/features';
import { enqueueSelect } from '../queues/flows';
import type { SelectJobData, TaskJobResult } from '../queues/jobs';
import { openStep, type RoundContext } from './context';
import { failExperiment } from './finish';

export async function collectStatistics(ctx: RoundContext, job: Job<SelectJobData>): Promise<string> {
  const { experimentId } = job.data;
  const rec = await openStep(ctx, job.data);
  if (typeof rec === 'string') return rec;
  const results = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'stats');
  if (results.length < rec.config.clients.min) {
    await failExperiment(
      ctx,
      experimentId,
      `federated scaling: ${results.length} sites sent column statistics, ${rec.config.clients.min} needed`,
    );
    return 'failed';
  }
  if (rec.config.data.format !== 'csv') return 'no statistics for this data format';
  const cols = rec.config.data.columns;
  const parts: ColumnSums[] = results.map((r) => metricsToColumnSums(r.metrics, r.examples, cols));
  const stats = combineColumnSums(parts);
  await ctx.records.setStats(experimentId, stats);
  await ctx.records.event(
    experimentId,
    `federated scaling: column statistics from ${results.length} sites (${parts.reduce((a, p) => a + p.rows, 0)} training rows)`,
  );
  await enqueueSelect(ctx.rounds, { ...job.data, since: Date.now() }, 0, '-after-stats');
  return `statistics of ${results.length} sites`;
}
