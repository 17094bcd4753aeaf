// Who is alive, as Redis sees it, and the lock release that acts on it: a named connection is listed
// while open and gone once closed; a lock is released only while it still holds the dead owner's token.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectedCoordinators,
  coordinatorConnectionName,
  coordinatorNames,
  instanceOf,
  isDead,
  isInstanceDead,
} from '../../coordinator/liveness.js';
import { activeLocks, releaseLock, workerIdOfToken } from '../../coordinator/queues/locks.js';
import { redisOptions } from '../../shared/redis-url.js';
import { usePrivateRedis } from '../helpers/federation.js';

describe('coordinator liveness', () => {
  const db = usePrivateRedis({ beforeAll, afterAll });

  it('parses connection names and decides deaths from connection and heartbeat', () => {
    const a = coordinatorConnectionName('host-12', 'r1');
    expect(instanceOf(a)).toBe('host-12');
    expect(instanceOf('bull:dGFza3M=')).toBeUndefined();
    const list = `id=3 addr=127.0.0.1:1 name=${a} age=2\nid=4 addr=127.0.0.1:2 name=bull:cm91bmRz age=1\nid=5 name= age=0\n`;
    expect([...coordinatorNames(list)]).toEqual([a]);
    const live = new Set([a]);
    const b = coordinatorConnectionName('host-13', 'r2');
    // Connected: alive whatever its heartbeat says (a slow process keeps its locks).
    expect(isDead(a, live, 0, 100_000, 3000)).toBe(false);
    // Not connected, heartbeat recent: a blip, not a death.
    expect(isDead(b, live, 99_000, 100_000, 3000)).toBe(false);
    expect(isDead(b, live, 96_000, 100_000, 3000)).toBe(true);
    expect(isInstanceDead('host-12', live, 0, 100_000, 3000)).toBe(false);
    expect(isInstanceDead('host-13', live, 99_000, 100_000, 3000)).toBe(false);
    expect(isInstanceDead('host-13', live, 90_000, 100_000, 3000)).toBe(true);
    expect(workerIdOfToken('6f1c-uuid:17')).toBe('6f1c-uuid');
  });

  it('lists a named coordinator connection until it closes', async () => {
    const name = coordinatorConnectionName('probe', 'run-1');
    const probe = new Redis({ ...redisOptions(db.url), connectionName: name });
    await probe.ping();
    expect((await connectedCoordinators(db.redis))?.has(name)).toBe(true);
    probe.disconnect();
    // Wait for the server to drop it (an event, polled; no fixed sleep).
    for (let i = 0; i < 200 && (await connectedCoordinators(db.redis))?.has(name); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect((await connectedCoordinators(db.redis))?.has(name)).toBe(false);
  });

  it('releases a lock only while it holds the token that was read', async () => {
    const connection = redisOptions(db.url);
    const queue = new Queue('locks-test', { connection });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const worker = new Worker(
      'locks-test',
      async () => {
        started();
        await held;
      },
      { connection, lockDuration: 60_000 },
    );
    await queue.add('job', {}, { jobId: 'j1' });
    await running;
    const [lock] = await activeLocks(db.redis, worker);
    expect(lock?.jobId).toBe('j1');
    expect(workerIdOfToken(lock!.token)).toBe(worker.id);
    // Another holder took it since: not released.
    expect(await releaseLock(db.redis, { ...lock!, token: 'someone-else:1' })).toBe(false);
    expect(await db.redis.exists(lock!.key)).toBe(1);
    expect(await releaseLock(db.redis, lock!)).toBe(true);
    expect(await db.redis.exists(lock!.key)).toBe(0);
    release();
    await worker.close(true);
    await queue.close();
  });
});
