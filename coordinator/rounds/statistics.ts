// Federated feature scaling: the sites' per-column counts, sums and sums of squares become global
// means and standard deviations (no row leaves a site). In clear, each site's sums arrive here (small
// cells already suppressed by the site); under secure aggregation the sites only acknowledge, and the
// sums go through the secure-aggregation stages, so the coordinator learns only their total.
import type { Job } from 'bullmq';
import { metricsToProfile, type SiteProfile } from '../../shared/analysis/profile.js';
import { analyse } from '../../shared/analysis/summary.js';
import { metricsToColumnSums, numericColumns } from '../../shared/data/column-sums.js';
import type { SelectJobData, TaskJobResult } from '../queues/jobs.js';
import { siteOfTaskJob } from '../queues/names.js';
import { STATS_REFUSED } from '../sessions/validate.js';
import { applyStatistics } from './apply-statistics.js';
import type { RoundContext } from './context.js';
import { eligibleSites } from './eligible.js';
import { failExperiment, finishExperiment } from './finish.js';
import { openStep } from './open-step.js';
import { startSecureStatistics } from './secure/stages.js';
import { writeAnalysis } from './write-analysis.js';

export async function collectStatistics(ctx: RoundContext, job: Job<SelectJobData>): Promise<string> {
  const { experimentId } = job.data;
  const rec = await openStep(ctx, job.data);
  if (typeof rec === 'string') return rec;
  const cfg = rec.config;
  const results = Object.values(await job.getChildrenValues<TaskJobResult>()).filter((r) => r && r.kind === 'stats');
  // A site whose statistics were refused (bad counts or sums, a data error) is left out, and the reason
  // kept: the site and its reason code reach the events, the status and the report.
  const failed = Object.entries(await job.getIgnoredChildrenFailures()).map(([key, reason]) => ({
    site: siteOfTaskJob(key),
    reason: String(reason),
  }));
  const failures = failed.map((f) => `${f.site}: ${f.reason}`);
  for (const f of failures)
    await ctx.records.event(experimentId, `federated scaling: statistics of ${f.replace(': ', ' left out: ')}`);
  // In clear, a site whose statistics the coordinator refused (on arrival: session.ts, validate.ts) is
  // left out of them only: it is still live and approved and trains like the others, so it counts
  // towards clients.min, and the statistics come from the sites that sent usable ones (each site's sums
  // are seen in clear anyway). Counting only usable statistics made one site's bad statistics fail the
  // whole experiment whenever no site was spare (clients.min equal to the live sites, as in
  // examples/heart-disease.yaml). A site that failed its task (a data error, a deadline, gone) is not
  // counted: it could not train either. Under secure aggregation the masked sum needs clients.min sites.
  const secure = cfg.secagg.mode !== 'off';
  let refused: string[] = [];
  if (!secure) {
    const live = new Set((await eligibleSites(ctx, experimentId)).eligible.map((w) => w.site));
    refused = failed.filter((f) => f.reason.startsWith(STATS_REFUSED) && live.has(f.site)).map((f) => f.site);
  }
  if (results.length === 0 || results.length + refused.length < cfg.clients.min) {
    const kept = refused.length ? ` (and ${refused.length} whose statistics were refused)` : '';
    await failExperiment(
      ctx,
      experimentId,
      `federated scaling: ${results.length} sites sent column statistics${kept}, ${cfg.clients.min} needed${failures.length ? ` (${failures.join('; ')})` : ''}`,
    );
    return 'failed';
  }
  if (cfg.data.format !== 'csv') return 'no statistics for this data format';
  const sites = results.map((r) => r.site).sort();
  if (secure) {
    const ref = { experimentId, round: 0, attempt: job.data.attempt };
    await startSecureStatistics(ctx, ref, cfg, sites, numericColumns(cfg.data), job.data);
    return `secure aggregation of the column statistics of ${sites.length} sites started`;
  }
  const cols = cfg.data.columns;
  if (cfg.data.analysis) {
    const settings = cfg.data.analysis;
    const profiles: Record<string, SiteProfile> = {};
    for (const r of results) {
      // Checked on arrival (validate.ts): a profile that does not read back was refused there.
      const p = metricsToProfile(r.metrics, cfg.data, settings);
      if (typeof p !== 'string') profiles[r.site] = p;
    }
    const flags = writeAnalysis(ctx, rec.id, rec.name, cfg.data, analyse(profiles, cfg.data, settings));
    await ctx.records.event(experimentId, `federated analysis of ${results.length} sites written (${flags} flags)`);
    if (cfg.data.analysis.only) {
      await finishExperiment(ctx, experimentId);
      return `analysis of ${results.length} sites; no training asked`;
    }
  }
  const parts = results.map((r) => metricsToColumnSums(r.metrics, r.examples, cols));
  await applyStatistics(ctx, job.data, parts, `from ${results.length} sites`);
  return `statistics of ${results.length} sites`;
}
