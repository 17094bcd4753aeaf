// The end of federated scaling: the global column statistics, combined from the sites' sums (in clear,
// or summed under secure aggregation), are stored with the experiment; then the first round is selected.
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { type ColumnSums, combineColumnSums } from '../../shared/data/column-sums.js';
import { columnSumsProblem, MAX_SITE_ROWS } from '../../shared/data/stats-check.js';
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
  await enqueueSelect(ctx.rounds, { ...select, since: Date.now() }, 0, AFTER_STATS);
}

/** The job id suffix of the select step that follows a statistics step. */
export const AFTER_STATS = '-after-stats';

/**
 * Under secure aggregation only the total of `sites` sites' statistics is seen: it must pass the same
 * check as one site's, summed (whole counts within the rows, sums within n times the declared ranges,
 * Cauchy-Schwarz), with the fixed-point rounding of each site allowed for. When it does not, some site
 * lied and the mask hides which: none can be left out, and falling back to other statistics would
 * change terms the sites approved, so the caller fails the experiment with this reason.
 */
export function secureTotalProblem(cfg: ExperimentConfig, total: ColumnSums, sites: number): string | undefined {
  if (cfg.data.format !== 'csv') return undefined;
  const why = columnSumsProblem(total, cfg.data, { maxRows: sites * MAX_SITE_ROWS, slack: sites * 2 ** -16 });
  return (
    why &&
    `the column statistics summed from ${sites} sites are impossible for values within the declared ranges (${why}); secure aggregation hides which site sent them, so none can be left out: rerun without secure aggregation to find it, or without the site`
  );
}
