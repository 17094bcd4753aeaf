// Keeping Redis to what reports need. BullMQ drops finished jobs after KEEP's ages (flows.ts); what
// outlives that, and what `accord prune` removes at once:
// - finished jobs of experiments that ended (their records, rounds, events and approvals stay: the
//   report is built from those), and finished jobs older than the retention of running ones (younger
//   ones keep deterministic job ids idempotent: a replayed step finds its job done);
// - the tasks queue and heartbeat of every coordinator instance gone for longer than `goneAfterMs`
//   (each restart is a new instance) with nothing pending and no site routed to it;
// - liveness entries (coordinator-runs, lock-owners) of processes gone that long.
import { type ConnectionOptions, type Job, Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis-target.js';
import { keysOf } from './experiments/keys.js';
import { ExperimentRecords } from './experiments/records.js';
import { serverTimeMs } from './liveness.js';
import { QUEUE_EXPERIMENTS, QUEUE_ROUNDS, tasksQueue } from './queues/names.js';
import { WorkerRegistry } from './sessions/registry.js';

export interface PruneOptions {
  /** Finished jobs of running experiments older than this go. Default 3,600,000 (one hour, as KEEP). */
  olderThanMs?: number;
  /** A coordinator instance or process silent this long is gone. Default 60,000. */
  goneAfterMs?: number;
}

export interface PruneResult {
  /** Finished jobs removed. */
  jobs: number;
  /** Coordinator instances whose queue and heartbeat were removed. */
  instances: string[];
  /** Liveness entries of gone processes removed. */
  entries: number;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/**
 * Removes the tasks queue and heartbeat of a coordinator instance that is gone, unless its queue
 * still holds work; true when it did. Shared by `accord prune` and a coordinator retiring an
 * instance it adopted (adoption.ts).
 */
export async function retireInstance(
  redis: RedisClient,
  bull: { connection: ConnectionOptions; prefix?: string | undefined },
  instance: string,
): Promise<boolean> {
  const queue = new Queue(tasksQueue(instance), {
    connection: bull.connection,
    ...(bull.prefix ? { prefix: bull.prefix } : {}),
  });
  try {
    const pending = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(pending).some((n) => n > 0)) return false;
    try {
      await queue.obliterate({ force: true });
    } catch (e) {
      // Another pruner (a coordinator's periodic pass, adoption, `accord prune`) obliterated the same
      // queue between this one's pause and its delete: the queue's meta, paused flag included, is gone,
      // which BullMQ reports as "non-paused". The queue is retired either way.
      if (!/non-paused/.test((e as Error).message)) throw e;
    }
    await redis.hdel(keysOf(redis).instances(), instance);
    return true;
  } finally {
    await queue.close();
  }
}

export async function prune(
  redis: RedisClient,
  bull: { connection: ConnectionOptions; prefix?: string | undefined },
  opts: PruneOptions = {},
): Promise<PruneResult> {
  const olderThanMs = opts.olderThanMs ?? 3_600_000;
  const goneAfterMs = opts.goneAfterMs ?? 60_000;
  const keys = keysOf(redis);
  const records = new ExperimentRecords(redis);
  // Heartbeats are in Redis's clock (liveness.ts); job times in this host's.
  const now = Date.now();
  const redisNow = await serverTimeMs(redis, keys.instances());
  const status = new Map<string, string>();
  const ended = async (id: string | undefined) => {
    if (!id) return true;
    if (!status.has(id)) status.set(id, (await records.brief(id))?.status ?? 'gone');
    const s = status.get(id)!;
    return s === 'gone' || ENDED.has(s);
  };
  const queueOf = (name: string) =>
    new Queue(name, { connection: bull.connection, ...(bull.prefix ? { prefix: bull.prefix } : {}) });

  const beats = await redis.hgetall(keys.instances());
  const routed = new Set((await new WorkerRegistry(redis, 2000).live()).map((w) => w.instance));
  const result: PruneResult = { jobs: 0, instances: [], entries: 0 };
  for (const name of [QUEUE_EXPERIMENTS, QUEUE_ROUNDS, ...Object.keys(beats).map(tasksQueue)]) {
    const queue = queueOf(name);
    try {
      const finished = (await queue.getJobs(['completed', 'failed'])) as Job[];
      for (const job of finished) {
        if (!job?.id) continue;
        const id = (job.data as { experimentId?: string } | undefined)?.experimentId;
        const old = now - (job.finishedOn ?? job.timestamp) > olderThanMs;
        if (old || (await ended(id))) {
          await job.remove().catch(() => undefined); // a parent's child may be gone with its parent
          result.jobs++;
        }
      }
    } finally {
      await queue.close();
    }
  }
  for (const [instance, seen] of Object.entries(beats)) {
    if (redisNow - Number(seen) <= goneAfterMs || routed.has(instance)) continue;
    if (await retireInstance(redis, bull, instance)) result.instances.push(instance);
  }
  const runs = await redis.hgetall(keys.coordinatorRuns());
  const goneRuns = Object.keys(runs).filter((r) => redisNow - Number(runs[r]) > goneAfterMs);
  if (goneRuns.length) result.entries += await redis.hdel(keys.coordinatorRuns(), ...goneRuns);
  const owners = await redis.hgetall(keys.lockOwners());
  const goneOwners = Object.keys(owners).filter((w) => {
    const beat = runs[owners[w]!];
    return beat === undefined || redisNow - Number(beat) > goneAfterMs;
  });
  if (goneOwners.length) result.entries += await redis.hdel(keys.lockOwners(), ...goneOwners);
  return result;
}
