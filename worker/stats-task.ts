// The column-statistics task (federated scaling): per-column count, sum and sum of squares of the
// site's training rows, sent in clear without small cells, or kept encoded for secure aggregation.
import { profileToMetrics, profileToVector, siteProfile } from '../shared/analysis/profile.js';
import { columnSumsToMetrics, columnSumsToVector, numericColumns } from '../shared/data/column-sums.js';
import { csvClassCount } from '../shared/data/features.js';
import { readTableFile } from '../shared/data/read-table.js';
import { DataError } from '../shared/errors/index.js';
import type { TaskHeader__Output } from '../shared/protocol/load.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import { encodeFixedPoint } from '../shared/secagg/fixed-point.js';
import type { SiteDataView } from './site-data.js';
import { releasedColumnSums } from './site-statistics.js';
import type { TaskContext } from './task-context.js';

/**
 * Sends (or keeps) the site's column sums for a statistics task already tied to its terms and checked
 * against the site's policy; `view` is the experiment's data settings with the site's own rules in place.
 * Under secure aggregation they wait, encoded, for the masked-input stage (only an acknowledgement
 * leaves now); otherwise they are sent in clear, without the columns where the site has too few values.
 */
export async function sendColumnSums(
  ctx: TaskContext,
  header: TaskHeader__Output,
  spec: TaskSpec,
  { data, split }: SiteDataView,
): Promise<void> {
  if (data.format !== 'csv') throw new DataError('column statistics apply to CSV data only', 'WRONG_FORMAT');
  ctx.budget.chargeStatistics(ctx.dataset, header.experimentId);
  // Small cells are withheld in clear and under secure aggregation alike: a total over few sites
  // (or all but one colluding) is no safer than one site's sums.
  const { sums: sent, suppressed } = releasedColumnSums(ctx.opts.dataFile, data, split);
  if (suppressed.length) ctx.log.info({ suppressed, minCellCount: data.minCellCount }, 'small cells not sent');
  const ack = { taskId: header.taskId, round: header.round };
  // Federated analytics (data.analysis): the profile of the site's rows goes with its column sums.
  const profile = data.analysis
    ? siteProfile(readTableFile(ctx.opts.dataFile, data), data, data.analysis, data.minCellCount)
    : undefined;
  if (profile && (profile.suppressed.columns.length || profile.suppressed.labels.length))
    ctx.log.info({ suppressed: profile.suppressed, minCellCount: data.minCellCount }, 'small cells not profiled');
  if (spec.secure) {
    // Masked with the column sums, as one vector: only the total over the sites is ever revealed.
    const sums = Array.from(columnSumsToVector(sent, numericColumns(data)));
    const extra = profile && data.analysis ? profileToVector(profile, data, data.analysis, csvClassCount(data)) : [];
    const words = encodeFixedPoint(Float64Array.from([...sums, ...extra]));
    ctx.secure.keep(header.experimentId, header.round, header.attempt, { kind: 'encoded', words });
    await ctx.outbox.send({ metrics: { ...ack, examples: 0, values: {} } });
    return;
  }
  await ctx.outbox.send({
    metrics: {
      ...ack,
      examples: sent.rows,
      values: {
        ...columnSumsToMetrics(sent, data.columns),
        ...(profile ? profileToMetrics(profile, data) : {}),
      },
    },
  });
}
