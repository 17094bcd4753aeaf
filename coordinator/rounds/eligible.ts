// The sites that may be given an experiment's tasks: the live ones, and, when the coordinator has a
// roster, only those that approved the experiment's manifest (the others would refuse every task);
// never one whose policy or budget refused the experiment (refusals.ts).
import type { WorkerEntry } from '../sessions/registry.js';
import type { RoundContext } from './context.js';

export async function eligibleSites(
  ctx: RoundContext,
  experimentId: string,
): Promise<{ connected: WorkerEntry[]; eligible: WorkerEntry[]; gated: boolean }> {
  const connected = await ctx.registry.live();
  const refused = await ctx.records.refusals(experimentId);
  const willing = connected.filter((w) => refused[w.site] === undefined);
  if (!ctx.roster) return { connected, eligible: willing, gated: false };
  const approved = await ctx.records.approvedSites(experimentId);
  return { connected, eligible: willing.filter((w) => approved.has(w.site)), gated: true };
}
