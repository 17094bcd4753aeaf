// The job locks of a queue, read and released directly: when the coordinator holding a lock is known
// to be dead, its job goes back to the waiting list at once (a live coordinator takes it within
// milliseconds) instead of after the lock duration, or a stalled-job check a second or two later.
import { Job, type Worker } from 'bullmq';
import type { RedisClient } from '../../shared/redis-target.js';

export interface HeldLock {
  jobId: string;
  /** The lock's Redis key. */
  key: string;
  /** BullMQ's lock token: `<worker id>:<n>`. */
  token: string;
}

/** The BullMQ worker id in a lock token. */
export function workerIdOfToken(token: string): string {
  const i = token.lastIndexOf(':');
  return i < 0 ? token : token.slice(0, i);
}

/** The locks held on the active jobs of `worker`'s queue. */
export async function activeLocks(redis: RedisClient, worker: Worker): Promise<HeldLock[]> {
  const ids = await redis.lrange(worker.toKey('active'), 0, -1);
  if (!ids.length) return [];
  const lockKeys = ids.map((id) => worker.toKey(`${id}:lock`));
  const tokens = await redis.mget(...lockKeys);
  return ids.flatMap((jobId, i) => {
    const token = tokens[i];
    return token ? [{ jobId, key: lockKeys[i]!, token }] : [];
  });
}

// Compare-and-delete: never a lock that a live worker has taken since it was read.
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * Moves the job back to waiting if its lock still holds the token that was read (BullMQ's own
 * active-to-wait script, which checks the token); whether it did. Not counted as a stall.
 */
export async function requeueLocked(worker: Worker, lock: HeldLock): Promise<boolean> {
  const job = await Job.fromId(worker, lock.jobId);
  if (!job) return false;
  return (await job.moveToWait(lock.token).catch(() => -1)) >= 0;
}

/** Deletes the lock if it still holds the token that was read; whether it did. */
export async function releaseLock(redis: RedisClient, lock: HeldLock): Promise<boolean> {
  return (await redis.eval(RELEASE, 1, lock.key, lock.token)) === 1;
}
