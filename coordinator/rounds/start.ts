// Starting (or resuming) an experiment: the initial model is checkpoint 0; the first round not yet
// committed is the one that runs next.
import type { Job } from 'bullmq';
import { buildManifest } from '../../shared/trust/manifest.js';
import { enqueueSelect } from '../queues/flows.js';
import type { SelectJobData } from '../queues/jobs.js';
import { createStrategy } from '../strategies/index.js';
import type { RoundContext } from './context.js';
import { failExperiment, finishExperiment } from './finish.js';

/** A coordinator without a roster: no site that pins one will approve its manifests. */
const NO_ROSTER = { sha256: 'none', sites: 0 };

export async function startExperiment(ctx: RoundContext, job: Job<{ experimentId: string }>): Promise<string> {
  const id = job.data.experimentId;
  const rec = await ctx.records.get(id);
  if (!rec) throw new Error(`experiment ${id} has no record`);
  if (rec.status === 'completed' || rec.status === 'failed' || rec.status === 'cancelled')
    return `already ${rec.status}`;
  const cfg = rec.config;
  if (!rec.manifestHash) {
    // The terms every site approves, fixed once: a resumed experiment keeps the manifest it started with.
    const roster = ctx.roster ? { sha256: ctx.roster.hash, sites: ctx.roster.sites.length } : NO_ROSTER;
    // The roster itself goes with the report (for accord verify), up to a size a report can carry.
    const rosterJson =
      ctx.roster && ctx.roster.sites.length <= 10_000 ? JSON.stringify(ctx.roster.toJSON()) : undefined;
    const terms = await ctx.records.setManifest(id, buildManifest(id, cfg, roster), rosterJson);
    ctx.log.info({ experiment: id, manifest: terms.hash }, 'manifest fixed');
  }
  let latest = ctx.checkpoints.latest(id);
  if (latest < 0) {
    // TF.js loads on first use, not with the coordinator (its first listen counts for recovery).
    await (await import('../../shared/models/backend.js')).initBackend();
    const { getFlatWeights, modelFor } = await import('../../shared/models/zoo.js');
    const model = await modelFor(cfg);
    // A head that leaves nothing to share (or a bias the model lacks) is named now, not by every site.
    const p = cfg.personalization;
    if (p && (p.method === 'fedper' || p.method === 'fedrep')) {
      const { headOf } = await import('../../shared/personalization/head.js');
      try {
        headOf(model, p.head);
      } catch (e) {
        model.dispose();
        await failExperiment(ctx, id, (e as Error).message);
        return 'failed';
      }
    }
    const initial = getFlatWeights(model);
    ctx.checkpoints.write(id, 0, initial, createStrategy(cfg.strategy).initialState(initial.values.length));
    model.dispose();
    latest = 0;
    ctx.log.info({ experiment: id }, 'initial model written');
  }
  if (latest >= cfg.rounds) {
    await finishExperiment(ctx, id);
    return 'finished';
  }
  await ctx.records.update(id, { status: 'running', committed: latest, round: latest + 1, phase: 'selecting' });
  const data: SelectJobData = { experimentId: id, round: latest + 1, attempt: 1, since: Date.now() };
  await enqueueSelect(ctx.rounds, data);
  return `round ${latest + 1} queued`;
}
