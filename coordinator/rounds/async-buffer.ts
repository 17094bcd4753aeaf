// Async mode (FedBuff, Nguyen et al. 2022): no rounds. `async.concurrency` sites train at once, each
// from the latest committed model version; every finished update goes into the experiment's buffer
// in Redis and its site is replaced at once by an idle one. Every `async.bufferSize` arrivals queue
// the commit of the next version (async-commit.ts). A site trains one task at a time.
import path from 'node:path';
import { rng, sample, seedOf } from '../../shared/random.js';
import { keysOf } from '../experiments/keys.js';
import type { ExperimentRecord } from '../experiments/records.js';
import { KEEP } from '../queues/flows.js';
import type { AsyncCommitJobData, TaskJobData, TaskJobResult } from '../queues/jobs.js';
import { jobIds, tasksQueue } from '../queues/names.js';
import { removeQuietly } from '../store/atomic.js';
import type { RoundContext } from './context.js';

/** One buffered update: who sent it, from which version, and where its delta is spooled. */
export interface BufferedUpdate {
  site: string;
  base: number;
  spoolFile: string;
  examples: number;
  result: Omit<TaskJobResult, 'site' | 'kind' | 'spoolFile'>;
}

/** The experiment's async state in Redis (beside its record, so in its hash slot in a cluster). */
export function asyncKeys(ctx: RoundContext, experimentId: string) {
  const base = `${keysOf(ctx.redis).experiment(experimentId)}:async`;
  return {
    /** list of JSON BufferedUpdate, oldest first */
    buffer: `${base}:buffer`,
    /** counter of updates that arrived: every bufferSize-th queues a commit */
    arrivals: `${base}:arrivals`,
    /** counter of dispatched tasks: each gets its own spool directory (attempt) */
    dispatches: `${base}:dispatches`,
    /** set of sites training now */
    busy: `${base}:busy`,
    /** the last version whose updates were taken off the buffer */
    trimmed: `${base}:trimmed`,
  };
}

export function asyncSettings(cfg: ExperimentRecord['config']) {
  return {
    concurrency: cfg.async?.concurrency ?? cfg.clients.min,
    bufferSize: cfg.async?.bufferSize ?? 5,
    stalenessExponent: cfg.async?.stalenessExponent ?? 0.5,
  };
}

/**
 * Starts up to `count` train tasks on idle live sites, each from the latest committed version. A
 * site is claimed in the busy set before its task is queued, so two callers never give it two tasks.
 */
export async function dispatchAsync(ctx: RoundContext, rec: ExperimentRecord, count: number): Promise<string[]> {
  const id = rec.id;
  const k = asyncKeys(ctx, id);
  const live = await ctx.registry.live();
  const busy = new Set(await ctx.redis.smembers(k.busy));
  const idle = live.filter((w) => !busy.has(w.site));
  const n = await ctx.redis.incr(k.dispatches);
  const order = sample(idle, idle.length, rng(seedOf(rec.config.seed, 'async', n)));
  const started: string[] = [];
  for (const w of order) {
    if (started.length >= count) break;
    if ((await ctx.redis.sadd(k.busy, w.site)) === 0) continue;
    const base = ctx.checkpoints.latest(id);
    // A dispatch number as the attempt: a site's second task before a commit spools to its own file.
    const ref = { experimentId: id, round: base + 1, attempt: await ctx.redis.incr(k.dispatches) };
    const taskId = jobIds.task(ref, 'train', w.site);
    const data: TaskJobData = { ...ref, site: w.site, taskId, siteCount: 1, kind: 'train', async: true };
    await ctx.flows.add({
      name: 'train',
      queueName: tasksQueue(w.instance),
      data,
      opts: { jobId: taskId, attempts: 1, ...KEEP },
    });
    started.push(w.site);
  }
  return started;
}

/** The start of an async experiment: the first `concurrency` tasks. */
export async function startAsync(ctx: RoundContext, rec: ExperimentRecord): Promise<string> {
  const started = await dispatchAsync(ctx, rec, asyncSettings(rec.config).concurrency);
  await ctx.records.update(rec.id, { phase: 'training (async)' });
  ctx.log.info({ experiment: rec.id, sites: started }, 'async training started');
  return `async: started ${started.join(',')}`;
}

/**
 * A finished async train task: buffer its update, queue the next version's commit when the buffer
 * holds another bufferSize updates, and give its slot to an idle site.
 */
export async function asyncUpdateArrived(ctx: RoundContext, data: TaskJobData, r: TaskJobResult): Promise<void> {
  const rec = await ctx.records.get(data.experimentId);
  const k = asyncKeys(ctx, data.experimentId);
  await ctx.redis.srem(k.busy, data.site);
  if (rec?.status !== 'running') {
    // Arrived after the last version: nothing will fold it.
    if (r.spoolFile) removeQuietly(path.dirname(r.spoolFile));
    return;
  }
  const { site, kind, spoolFile, ...result } = r;
  void kind;
  const entry: BufferedUpdate = { site, base: data.round - 1, spoolFile: spoolFile!, examples: r.examples, result };
  await ctx.redis.rpush(k.buffer, JSON.stringify(entry));
  const arrived = await ctx.redis.incr(k.arrivals);
  const { bufferSize } = asyncSettings(rec.config);
  if (arrived % bufferSize === 0) {
    const version = arrived / bufferSize;
    if (version <= rec.config.rounds) {
      const job: AsyncCommitJobData = { experimentId: rec.id, version };
      await ctx.rounds.add('commit-async', job, { jobId: jobIds.commitAsync(rec.id, version), ...KEEP });
    }
  }
  await dispatchAsync(ctx, rec, 1);
}

/** A failed async train task: free its site and start another in its place. */
export async function asyncTaskFailed(ctx: RoundContext, data: TaskJobData): Promise<void> {
  await ctx.redis.srem(asyncKeys(ctx, data.experimentId).busy, data.site);
  const rec = await ctx.records.get(data.experimentId);
  if (rec?.status !== 'running') return;
  // Not straight back to the same site: it may be the reason (gone, or failing every task).
  await new Promise((r) => setTimeout(r, 500));
  await dispatchAsync(ctx, rec, 1);
}
