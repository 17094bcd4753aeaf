// Async mode's watch: one job per async experiment that wakes every few seconds while it runs. Events
// drive async mode (an update arrives, a task fails), so a step lost with a dead coordinator (between
// claiming a site and queueing its task, or a task job that stalled out) would leave its site marked
// busy and its slot empty for good. The watch frees such sites, queues any commit that is due, and
// tops training back up to the concurrency (also giving work to sites that joined since).
import { DelayedError, type Job } from 'bullmq';
import { asyncCatchUp, asyncKeys, type BusyEntry, freeSite } from './async-buffer.js';
import type { RoundContext } from './context.js';
import { openStep } from './open-step.js';

/** How often the watch looks. */
export const ASYNC_WATCH_MS = 5_000;

/** A busy entry whose task job is not there yet may be mid-dispatch: it is left alone this long. */
const DISPATCH_GRACE_MS = 30_000;

export async function watchAsync(ctx: RoundContext, job: Job<{ experimentId: string }>, token?: string) {
  const { experimentId } = job.data;
  const rec = await openStep(ctx, { experimentId, round: 0 });
  if (typeof rec === 'string') return rec;
  const lost = await lostTasks(ctx, experimentId);
  for (const [site, e] of lost) await freeSite(ctx, experimentId, site, e.taskId);
  if (lost.length)
    ctx.log.warn({ experiment: experimentId, sites: lost.map(([s]) => s) }, 'async: freed sites whose task was lost');
  await asyncCatchUp(ctx, rec);
  await job.moveToDelayed(Date.now() + ASYNC_WATCH_MS, token);
  throw new DelayedError();
}

/** Busy sites whose task job finished without freeing them, or is gone. */
async function lostTasks(ctx: RoundContext, experimentId: string): Promise<[string, BusyEntry][]> {
  const busy = await ctx.redis.hgetall(asyncKeys(ctx, experimentId).busy);
  const lost: [string, BusyEntry][] = [];
  for (const [site, raw] of Object.entries(busy)) {
    const e = JSON.parse(raw) as BusyEntry;
    const node = await ctx.flows.getFlow({ id: e.taskId, queueName: e.queue, depth: 1 });
    const job = node?.job;
    // Finished: its processor frees the site before the job completes or fails, so this one was cut off.
    if (job ? job.finishedOn !== undefined : Date.now() - e.at > DISPATCH_GRACE_MS) lost.push([site, e]);
  }
  return lost;
}
