// Selecting: wait until `clients.min` live workers are registered, sample `clients.fraction` of them
// (seeded per round), and hand the round to BullMQ as a flow: parent `aggregate`, one `train` child
// per selected site, routed to the tasks queue of the coordinator instance holding its stream.
import { DelayedError, type Job } from 'bullmq';
import { rng, sample, seedOf } from '../../shared/random.js';
import type { ExperimentRecord } from '../experiments/records.js';
import { DifferentialPrivacy } from '../privacy/differential-privacy.js';
import { addStepWithTasks } from '../queues/flows.js';
import type { AggregateJobData, SelectJobData } from '../queues/jobs.js';
import { jobIds } from '../queues/names.js';
import { AFTER_STATS } from './apply-statistics.js';
import { startAsync } from './async-buffer.js';
import type { RoundContext } from './context.js';
import { eligibleSites } from './eligible.js';
import { failExperiment, stopExperiment } from './finish.js';
import { openStep } from './open-step.js';

export async function selectRound(ctx: RoundContext, job: Job<SelectJobData>, token?: string): Promise<string> {
  const { experimentId, round, attempt, since } = job.data;
  const rec = await openStep(ctx, job.data);
  if (typeof rec === 'string') return rec;
  const cfg = rec.config;
  // With a roster, a site takes part only once it approved the experiment's manifest (offered to it
  // by the coordinator holding its session); it would refuse every task before that.
  const { connected, eligible: live, gated: approved } = await eligibleSites(ctx, experimentId);
  if (live.length < cfg.clients.min) {
    if (Date.now() - since > cfg.timeouts.selectMs) {
      await failExperiment(
        ctx,
        experimentId,
        approved
          ? `round ${round}: only ${live.length} of ${cfg.clients.min} sites connected and approved the experiment after ${cfg.timeouts.selectMs} ms (${connected.length} connected)`
          : `round ${round}: only ${live.length} of ${cfg.clients.min} workers connected after ${cfg.timeouts.selectMs} ms`,
      );
      return 'failed';
    }
    const phase = approved
      ? `selecting (${live.length}/${cfg.clients.min} sites approved, ${connected.length} connected)`
      : `selecting (${live.length}/${cfg.clients.min} workers)`;
    await ctx.records.update(experimentId, { round, phase });
    await job.moveToDelayed(Date.now() + ctx.selectPollMs, token);
    throw new DelayedError();
  }
  const d = cfg.data;
  const wanted = d.format === 'csv' && ((d.scaling === 'federated' && !d.stats) || (d.analysis && !rec.stats));
  if (wanted && needsStatistics(rec, job)) {
    // Federated scaling: before the first round, every live site sends its per-column sums (and, with
    // data.analysis, the profile of its rows).
    await ctx.records.update(experimentId, { phase: 'statistics' });
    await addStepWithTasks(
      ctx.flows,
      { name: 'stats', data: job.data, jobId: jobIds.stats(experimentId) + (attempt > 1 ? `-a${attempt}` : '') },
      // Round 0: the statistics come before the first round (and their secure aggregation, if on, with them).
      { experimentId, round: 0, attempt },
      { kind: 'stats' },
      live,
    );
    return 'collecting column statistics first';
  }
  // Async mode (FedBuff) has no rounds to select: sites train continuously (async-buffer.ts).
  if (cfg.mode === 'async') return startAsync(ctx, rec);
  const k = Math.min(live.length, Math.max(cfg.clients.min, Math.ceil(cfg.clients.fraction * live.length)));
  const dp = DifferentialPrivacy.of(cfg);
  if (dp && attempt === 1) {
    // Stop before the budget would be exceeded: price the next round before running it, with every
    // sampled site adding its share of the noise (the full multiplier z). That is the cheapest the
    // round can be, so a round refused here could never have committed. It is not a bound: under secure
    // aggregation sites that drop out after sharing keys take their noise shares with them, so the
    // budget is checked again with the noise actually added, once the masked inputs are in and before
    // anything is unmasked (secure/stages.ts), and at commit before the ledger is charged (commit.ts);
    // a round that fails it is not committed and the experiment stops out of budget.
    // Not a worst-case price: the worst case a secure round can still commit at is not clients.quorum
    // (the quorum counts training updates; masked inputs can fall further, to the unmasking threshold)
    // but t + 1 honest shares, up to (k - t) times a round's cost; priced so, experiments would stop
    // rounds early whenever they near the budget, to guard against dropouts the checks above catch
    // anyway at the cost of one round's training. Simulated dropouts (secagg.dropout) are not priced
    // either: a deployment cannot know its dropouts in advance, and a simulation takes the same path.
    const cost =
      cfg.secagg.mode !== 'off'
        ? dp.distributedRoundCost(k / live.length, k, k)
        : dp.centralRoundCost(k / live.length, k);
    const why = dp.overBudget(ctx.checkpoints.readMeta(experimentId, round - 1).privacy, cost, round);
    if (why) {
      await stopExperiment(ctx, experimentId, why);
      return why;
    }
  }
  // Seeded by the experiment's seed alone: the same config samples the same sites in every run.
  const chosen = sample(live, k, rng(seedOf(cfg.seed, round, attempt))).sort((a, b) => a.site.localeCompare(b.site));
  const ref = { experimentId, round, attempt };
  const parent: AggregateJobData = {
    ...ref,
    selected: chosen.map((w) => w.site),
    population: live.length,
    startedAt: Date.now(),
  };
  await addStepWithTasks(
    ctx.flows,
    { name: 'aggregate', data: parent, jobId: jobIds.aggregate(ref) },
    ref,
    { kind: 'train' },
    chosen,
  );
  await ctx.records.update(experimentId, { round, phase: 'training' });
  ctx.log.info({ experiment: experimentId, round, attempt, sites: parent.selected }, 'round started');
  return `selected ${parent.selected.join(',')}`;
}

/**
 * Whether the column statistics are to be collected now: before the first round, and again when the
 * first round is retried before any committed while some numeric column still has none (every site
 * then held too few values of it to release; one that joined since may hold enough). After a round
 * committed they stay: the model has learnt on inputs scaled with them.
 */
function needsStatistics(rec: ExperimentRecord, job: Job<SelectJobData>): boolean {
  if (!rec.stats) return true;
  if (job.data.attempt === 1 || rec.committed > 0 || job.id?.endsWith(AFTER_STATS)) return false;
  const d = rec.config.data;
  if (d.format !== 'csv') return false;
  return d.columns.some((c) => c !== d.label && !d.drop.includes(c) && !d.categorical[c] && !rec.stats![c]);
}
