// Async mode (FedBuff, Nguyen et al. 2022): no rounds. `async.concurrency` sites train at once, each
// from the latest committed model version; every finished update goes into the experiment's buffer
// in Redis and its site is replaced at once by an idle one. Every `async.bufferSize` arrivals queue
// the commit of the next version (async-commit.ts). A site trains one task at a time.
//
// Every step here may run twice (a coordinator that died mid-step, a task job retried by the one that
// adopted its queue), so each is idempotent: a site is claimed and freed by task id, an update is
// buffered once per task id, and the commits due are derived from the arrival count, not queued once
// by whoever saw the count cross a multiple of K.
import path from 'node:path';
import { removeQuietly } from '../../shared/files/atomic.js';
import { rng, sample, seedOf } from '../../shared/random.js';
import { keysOf } from '../experiments/keys.js';
import type { ExperimentRecord } from '../experiments/records.js';
import { KEEP } from '../queues/flows.js';
import type { AsyncCommitJobData, TaskJobData, TaskJobResult, TrainOutcome } from '../queues/jobs.js';
import { jobIds, tasksQueue } from '../queues/names.js';
import type { RoundContext } from './context.js';
import { eligibleSites } from './eligible.js';

/** One buffered update: who sent it, from which version, and where its delta is spooled. */
export interface BufferedUpdate {
  site: string;
  base: number;
  spoolFile: string;
  examples: number;
  result: TrainOutcome;
}

/** What the busy hash holds for a site training now: its task, where it was queued, and when. */
export interface BusyEntry {
  taskId: string;
  queue: string;
  at: number;
}

/** The experiment's async state in Redis (beside its record, so in its hash slot in a cluster). */
export function asyncKeys(ctx: RoundContext, experimentId: string) {
  const base = `${keysOf(ctx.redis).experiment(experimentId)}:async`;
  return {
    /** list of JSON BufferedUpdate, oldest first */
    buffer: `${base}:buffer`,
    /** counter of updates that arrived: every bufferSize-th makes a commit due */
    arrivals: `${base}:arrivals`,
    /** set of the task ids whose update is in the buffer (or was folded): a retried task adds nothing */
    arrived: `${base}:arrived`,
    /** counter of dispatched tasks: each gets its own spool directory (attempt) */
    dispatches: `${base}:dispatches`,
    /** hash site -> JSON BusyEntry of the sites training now */
    busy: `${base}:busy`,
    /** set of the versions whose evaluation by the sites is still out (async-evaluate.ts) */
    evaluating: `${base}:evaluating`,
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

/** Claims a site for a task unless `concurrency` sites are busy already or the site is. 1 = claimed. */
const CLAIM = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])`;

/** Lua: frees site `site` in busy hash `busy` if it is still busy with task `task` (not a later one). */
const freeIfOwner = (busy: string, site: string, task: string) => `
local v = redis.call('HGET', ${busy}, ${site})
if v and cjson.decode(v).taskId == ${task} then redis.call('HDEL', ${busy}, ${site}) end`;

const FREE = freeIfOwner('KEYS[1]', 'ARGV[1]', 'ARGV[2]');

/**
 * Buffers a task's update once: frees its site and counts the arrival, all or nothing. Returns the
 * arrival count, or -1 when this task's update was buffered before (a retried task).
 */
const ARRIVE = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return -1 end
redis.call('RPUSH', KEYS[2], ARGV[2])
${freeIfOwner('KEYS[4]', 'ARGV[3]', 'ARGV[1]')}
return redis.call('INCR', KEYS[3])`;

/** Frees `site` if its busy entry is still `taskId`'s. */
export async function freeSite(ctx: RoundContext, experimentId: string, site: string, taskId: string): Promise<void> {
  await ctx.redis.eval(FREE, 1, asyncKeys(ctx, experimentId).busy, site, taskId);
}

/**
 * Tops the sites training up to `async.concurrency`, each new task from the latest committed version.
 * A site is claimed atomically (CLAIM) before its task is queued: two callers never give a site two
 * tasks, nor the experiment more than its concurrency.
 */
export async function dispatchAsync(ctx: RoundContext, rec: ExperimentRecord): Promise<string[]> {
  const id = rec.id;
  const k = asyncKeys(ctx, id);
  const { concurrency } = asyncSettings(rec.config);
  // The last version is in (its sites may still be evaluating it): no more training.
  if (rec.committed >= rec.config.rounds) return [];
  const busy = await ctx.redis.hkeys(k.busy);
  if (busy.length >= concurrency) return [];
  const taken = new Set(busy);
  const idle = (await eligibleSites(ctx, id)).eligible.filter((w) => !taken.has(w.site));
  const n = await ctx.redis.incr(k.dispatches);
  const order = sample(idle, idle.length, rng(seedOf(rec.config.seed, 'async', n)));
  // Every task of this call trains from the version committed now (runTask loads checkpoint round - 1).
  const base = ctx.checkpoints.latest(id);
  const started: string[] = [];
  for (const w of order) {
    // A dispatch number as the attempt: a site's second task before a commit spools to its own file.
    const ref = { experimentId: id, round: base + 1, attempt: await ctx.redis.incr(k.dispatches) };
    const taskId = jobIds.task(ref, 'train', w.site);
    const queue = tasksQueue(w.instance);
    const entry: BusyEntry = { taskId, queue, at: Date.now() };
    const claimed = await ctx.redis.eval(CLAIM, 1, k.busy, w.site, JSON.stringify(entry), String(concurrency));
    if (claimed !== 1) {
      if ((await ctx.redis.hlen(k.busy)) >= concurrency) break;
      continue;
    }
    const data: TaskJobData = { ...ref, site: w.site, taskId, siteCount: 1, kind: 'train', async: true };
    await ctx.flows.add({ name: 'train', queueName: queue, data, opts: { jobId: taskId, attempts: 1, ...KEEP } });
    started.push(w.site);
  }
  return started;
}

/**
 * Queues the commit of every version the arrivals have filled and that is not committed yet (job ids
 * make a second add a no-op; each commit waits for the one before it).
 */
export async function queueDueCommits(ctx: RoundContext, rec: ExperimentRecord, arrivals: number): Promise<void> {
  const { bufferSize } = asyncSettings(rec.config);
  const last = Math.min(Math.floor(arrivals / bufferSize), rec.config.rounds);
  for (let version = Math.max(1, rec.committed + 1); version <= last; version++) {
    const job: AsyncCommitJobData = { experimentId: rec.id, version };
    await ctx.rounds.add('commit-async', job, { jobId: jobIds.commitAsync(rec.id, version), ...KEEP });
  }
}

/** The start of an async experiment: the first `concurrency` tasks, and the watch (async-watch.ts). */
export async function startAsync(ctx: RoundContext, rec: ExperimentRecord): Promise<string> {
  const started = await dispatchAsync(ctx, rec);
  await ctx.rounds.add('async-watch', { experimentId: rec.id }, { jobId: jobIds.asyncWatch(rec.id), ...KEEP });
  await ctx.records.update(rec.id, { phase: 'training (async)' });
  ctx.log.info({ experiment: rec.id, sites: started }, 'async training started');
  return `async: started ${started.join(',')}`;
}

/** Whether this task's update is already buffered: a retried task then has nothing left to run. */
export async function alreadyArrived(ctx: RoundContext, data: TaskJobData): Promise<boolean> {
  return (await ctx.redis.sismember(asyncKeys(ctx, data.experimentId).arrived, data.taskId)) === 1;
}

/**
 * A finished async train task: buffer its update (once), queue the commits now due, and give its
 * slot to an idle site.
 */
export async function asyncUpdateArrived(ctx: RoundContext, data: TaskJobData, r: TaskJobResult): Promise<void> {
  const rec = await ctx.records.get(data.experimentId);
  const k = asyncKeys(ctx, data.experimentId);
  if (rec?.status !== 'running' || rec.committed >= rec.config.rounds) {
    // Arrived after the last version (the experiment may still be evaluating it): nothing will fold it.
    await freeSite(ctx, data.experimentId, data.site, data.taskId);
    if (r.spoolFile) removeQuietly(path.dirname(r.spoolFile));
    return;
  }
  const { site, kind, spoolFile, ...result } = r;
  void kind;
  const entry: BufferedUpdate = { site, base: data.round - 1, spoolFile: spoolFile!, examples: r.examples, result };
  const arrived = Number(
    await ctx.redis.eval(ARRIVE, 4, k.arrived, k.buffer, k.arrivals, k.busy, data.taskId, JSON.stringify(entry), site),
  );
  await asyncCatchUp(ctx, rec, arrived >= 0 ? arrived : undefined);
}

/**
 * What follows any arrival, and what a retried or watched step repeats: the commits due, then idle
 * sites topped up. `arrivals` when the caller just read it.
 */
export async function asyncCatchUp(ctx: RoundContext, rec: ExperimentRecord, arrivals?: number): Promise<void> {
  const n = arrivals ?? Number((await ctx.redis.get(asyncKeys(ctx, rec.id).arrivals)) ?? 0);
  await queueDueCommits(ctx, rec, n);
  await dispatchAsync(ctx, rec);
}

/** A failed async train task: free its site and start another in its place. */
export async function asyncTaskFailed(ctx: RoundContext, data: TaskJobData): Promise<void> {
  await freeSite(ctx, data.experimentId, data.site, data.taskId);
  const rec = await ctx.records.get(data.experimentId);
  if (rec?.status !== 'running') return;
  // Not straight back to the same site: it may be the reason (gone, or failing every task).
  await new Promise((r) => setTimeout(r, 500));
  await dispatchAsync(ctx, rec);
}
