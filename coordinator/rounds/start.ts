// Starting (or resuming) an experiment: the initial model is checkpoint 0; the first round not yet
// committed is the one that runs next.
import type { Job } from 'bullmq';
import { initBackend } from '../../shared/models/backend.js';
import { getFlatWeights, modelFor } from '../../shared/models/zoo.js';
import { enqueueSelect } from '../queues/flows.js';
import type { SelectJobData } from '../queues/jobs.js';
import { createStrategy } from '../strategies/index.js';
import type { RoundContext } from './context.js';
import { finishExperiment } from './finish.js';

export async function startExperiment(ctx: RoundContext, job: Job<{ experimentId: string }>): Promise<string> {
  const id = job.data.experimentId;
  const rec = await ctx.records.get(id);
  if (!rec) throw new Error(`experiment ${id} has no record`);
  if (rec.status === 'completed' || rec.status === 'failed' || rec.status === 'cancelled')
    return `already ${rec.status}`;
  const cfg = rec.config;
  let latest = ctx.checkpoints.latest(id);
  if (latest < 0) {
    await initBackend();
    const model = await modelFor(cfg);
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
