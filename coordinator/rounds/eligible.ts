// The sites that may be given an experiment's tasks: the live ones, and, when the coordinator has a
// roster, only those that approved the experiment's manifest (the others would refuse every task).
import type { WorkerEntry } from '../sessions/registry.js';
import type { RoundContext } from './context.js';

export async function eligibleSites(
  ctx: RoundContext,
  experimentId: string,
): Promise<{ connected: WorkerEntry[]; eligible: WorkerEntry[]; gated: boolean }> {
  const connected = await ctx.registry.live();
  if (!ctx.roster) return { connected, eligible: connected, gated: false };
  const approved = await ctx.records.approvedSites(experimentId);
  return { connected, eligible: connected.filter((w) => approved.has(w.site)), gated: true };
}
