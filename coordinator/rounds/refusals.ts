// A site whose own policy or budget refuses an experiment takes no further part in it; the experiment
// goes on with the others. One site cannot end an experiment by refusing (a malicious valid site
// could otherwise sink any experiment with one word): it ends only when, with the refusing sites left
// out, the roster can no longer reach clients.min, and then at once, naming every refusal.
import type { RoundContext } from './context.js';
import { failExperiment } from './finish.js';

/** Codes by which a site refuses a whole experiment (not just one task). */
export const EXPERIMENT_REFUSALS: ReadonlySet<string> = new Set(['POLICY_REFUSED', 'BUDGET_SPENT']);

export async function siteRefused(ctx: RoundContext, experimentId: string, site: string, why: string): Promise<void> {
  const rec = await ctx.records.get(experimentId);
  if (rec?.status !== 'running') return;
  if (await ctx.records.putRefusal(experimentId, site, why))
    await ctx.records.event(experimentId, `${why} (the site takes no further part in this experiment)`);
  const refusals = await ctx.records.refusals(experimentId);
  const refused = Object.keys(refusals);
  // Without a roster the coordinator cannot know who else may come: a refusal ends the experiment.
  const possible = ctx.roster ? ctx.roster.sites.filter((s) => !refused.includes(s)).length : 0;
  if (possible < rec.config.clients.min)
    await failExperiment(
      ctx,
      experimentId,
      `${Object.values(refusals).join('; ')}${ctx.roster ? `; the ${possible} other roster sites cannot reach clients.min (${rec.config.clients.min})` : ''}`,
    );
}
