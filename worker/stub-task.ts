// Benchmarks only (SiteOptions.stubTraining): a train or evaluate task answered without TF.js.
import type { SiteData } from '../shared/data/features.js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import type { ModelTask, TaskContext } from './task-context.js';

/**
 * Answers with fixed metrics and, for a train task, a fixed delta of the global model's size, so the
 * round's wall time is everything but local training (bench/round-overhead.ts, bench/scale.ts).
 */
export async function sendStub(ctx: TaskContext, task: ModelTask, data: SiteData): Promise<void> {
  const { header } = task;
  const values =
    task.kind === 'evaluate' ? { loss: 1, accuracy: 0 } : { loss: 1, startLoss: 1, startAccuracy: 0, trainMs: 0 };
  const examples = task.kind === 'evaluate' ? data.test.n : data.train.n;
  await ctx.outbox.send({ metrics: { taskId: header.taskId, round: header.round, examples, values } });
  if (task.kind === 'train')
    for (const c of chunkF32(new Float32Array(task.values.length).fill(1e-3))) {
      if (task.cancelled) return;
      await ctx.outbox.send({ updateChunk: { taskId: header.taskId, seq: c.seq, last: c.last, data: c.data } });
    }
  ctx.done();
}
