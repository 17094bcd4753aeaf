// Coordinators on one Redis watch each other. Each writes a heartbeat per process and names its Redis
// connection (liveness.ts). When one is dead (not connected, heartbeat quiet):
// - a live coordinator adopts its tasks queue, so tasks routed to the dead instance (whatever it was
//   called) reach the sites, which have failed over to a live coordinator;
// - the job locks it held are released, so its round steps and tasks resume within seconds rather than
//   after the lock duration. A slow but live coordinator keeps its locks: it is still connected.
import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import { keysOf } from './experiments/keys.js';
import { connectedCoordinators, isDead, isInstanceDead, serverTimeMs } from './liveness.js';
import { processTask, RUN_RETRY_DELAY_MS } from './processors.js';
import { retireInstance } from './prune.js';
import { activeLocks, releaseLock, requeueLocked, workerIdOfToken } from './queues/locks.js';
import { tasksQueue } from './queues/names.js';
import type { RoundContext } from './rounds/context.js';

export interface AdoptionOptions {
  connection: ConnectionOptions;
  /** BullMQ's key prefix (hash-tagged in a Redis Cluster). Default "bull". */
  prefix?: string | undefined;
  /** This process's Redis connection name (liveness.ts); its lock tokens are mapped to it. */
  connectionName: string;
  /** The BullMQ workers this process runs. */
  workers: () => readonly Worker[];
  /** How often this process writes its heartbeat and looks for dead coordinators. Default 500 ms. */
  intervalMs?: number;
  /**
   * A coordinator not connected whose heartbeat is this old is dead. Default 3 x intervalMs: longer
   * than ioredis takes to reconnect after a blip, short enough for recovery under 5 s (bench/recovery.ts).
   */
  confirmDeadMs?: number;
  /** The job lock duration; where CLIENT LIST is not allowed, an instance silent this long is dead. */
  lockDurationMs: number;
  /** The stalled-job check interval of adopted queues. */
  stalledIntervalMs: number;
}

export class Adoption {
  private timer: NodeJS.Timeout | undefined;
  private readonly adopted = new Map<string, Worker>();
  private readonly intervalMs: number;
  private readonly confirmMs: number;
  /** No coordinator is judged dead before this (local ms): Redis was just out of reach (see tick). */
  private holdUntil = 0;
  private troubled = false;

  constructor(
    private readonly ctx: RoundContext,
    private readonly opts: AdoptionOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 500;
    this.confirmMs = opts.confirmDeadMs ?? 3 * this.intervalMs;
  }

  start(): void {
    const tick = () =>
      void this.tick().catch(() => {
        this.troubled = true;
      });
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    tick();
  }

  private async tick(): Promise<void> {
    const redis = this.ctx.redis;
    const keys = keysOf(redis);
    // Redis's clock, not this host's: heartbeats are compared across machines.
    const asked = Date.now();
    const now = await serverTimeMs(redis, keys.instances());
    // Redis was out of reach (a restart, a cluster failover) if a call failed or this one waited: the other
    // coordinators are reconnecting too and their heartbeats are stale, so none is judged dead until they
    // have had confirmMs to beat again.
    if (this.troubled || Date.now() - asked > 2 * this.intervalMs) this.holdUntil = Date.now() + this.confirmMs;
    this.troubled = false;
    const workers = [...this.opts.workers(), ...this.adopted.values()];
    await redis
      .multi()
      .hset(keys.instances(), this.ctx.instance, String(now))
      .hset(keys.coordinatorRuns(), this.opts.connectionName, String(now))
      .hset(keys.lockOwners(), Object.fromEntries(workers.map((w) => [w.id, this.opts.connectionName])))
      .exec();
    if (Date.now() < this.holdUntil) return;
    const live = await connectedCoordinators(redis);

    for (const [instance, seen] of Object.entries(await redis.hgetall(keys.instances()))) {
      if (instance === this.ctx.instance || this.adopted.has(instance)) continue;
      const dead = live
        ? isInstanceDead(instance, live, Number(seen), now, this.confirmMs)
        : now - Number(seen) > this.opts.lockDurationMs;
      if (dead) this.adopt(instance, now - Number(seen));
    }
    if (live) await this.releaseDeadLocks([...this.opts.workers(), ...this.adopted.values()], live, now);
    await this.retireDrained(now);
  }

  /**
   * An adopted instance gone for longer than a lock, with no site routed to it and nothing left in its
   * queue, is retired: the queue's keys and its heartbeat leave Redis (each restart of a coordinator
   * made a new instance, and Redis kept all of them).
   */
  private async retireDrained(now: number): Promise<void> {
    if (this.adopted.size === 0) return;
    const keys = keysOf(this.ctx.redis);
    const beats = await this.ctx.redis.hgetall(keys.instances());
    const routed = new Set((await this.ctx.registry.live()).map((w) => w.instance));
    for (const [instance, worker] of this.adopted) {
      const seen = beats[instance];
      if (seen !== undefined && (now - Number(seen) <= this.opts.lockDurationMs || routed.has(instance))) continue;
      // Another coordinator may have retired it first: then there is nothing left to remove.
      if (seen !== undefined) {
        if (!(await retireInstance(this.ctx.redis, this.opts, instance))) continue;
        this.ctx.log.info({ instance }, 'retired the drained queue of a coordinator that is gone');
      }
      await worker.close();
      this.adopted.delete(instance);
    }
  }

  private adopt(instance: string, silentMs: number): void {
    const worker = new Worker(tasksQueue(instance), (job: Job) => processTask(this.ctx, job), {
      connection: this.opts.connection,
      ...(this.opts.prefix ? { prefix: this.opts.prefix } : {}),
      concurrency: 64,
      lockDuration: this.opts.lockDurationMs,
      stalledInterval: this.opts.stalledIntervalMs,
      runRetryDelay: RUN_RETRY_DELAY_MS,
    });
    worker.on('error', () => undefined);
    this.adopted.set(instance, worker);
    this.ctx.log.warn({ dead: instance, silentMs }, 'adopted the tasks of a coordinator that is gone');
  }

  private async releaseDeadLocks(workers: Worker[], live: ReadonlySet<string>, now: number): Promise<void> {
    const redis = this.ctx.redis;
    const keys = keysOf(redis);
    const [owners, beats] = await Promise.all([
      redis.hgetall(keys.lockOwners()),
      redis.hgetall(keys.coordinatorRuns()),
    ]);
    const dead = (owner: string) =>
      owner !== this.opts.connectionName && isDead(owner, live, Number(beats[owner] ?? 0), now, this.confirmMs);
    for (const w of workers)
      for (const lock of await activeLocks(redis, w)) {
        const owner = owners[workerIdOfToken(lock.token)];
        if (!owner || !dead(owner)) continue;
        // Straight back to waiting; where that fails (the job just moved on), the lock alone goes.
        if ((await requeueLocked(w, lock)) || (await releaseLock(redis, lock)))
          this.ctx.log.warn({ queue: w.name, job: lock.jobId, owner }, 'released the job lock of a dead coordinator');
      }
    // Forget processes dead for longer than a lock: any lock of theirs has expired by now.
    const gone = (owner: string) => dead(owner) && now - Number(beats[owner] ?? 0) > this.opts.lockDurationMs;
    const staleWorkers = Object.keys(owners).filter((id) => gone(owners[id]!));
    const staleRuns = Object.keys(beats).filter(gone);
    if (staleWorkers.length) await redis.hdel(keys.lockOwners(), ...staleWorkers);
    if (staleRuns.length) await redis.hdel(keys.coordinatorRuns(), ...staleRuns);
  }

  /**
   * After this process's workers have closed: when no other coordinator is connected, nobody can route
   * a task here any more, so this instance's queue, the drained queues it adopted, its registry entries
   * and the liveness entries of all runs (none is connected) leave Redis with it. True when it was alone (nothing is known without
   * CLIENT LIST: then the heartbeat set by stop() lets a later coordinator adopt and retire them).
   */
  async leaveIfAlone(): Promise<boolean> {
    const redis = this.ctx.redis;
    const live = await connectedCoordinators(redis);
    if (!live || [...live].some((name) => name !== this.opts.connectionName)) return false;
    const keys = keysOf(redis);
    await this.ctx.registry.purgeInstance(this.ctx.instance);
    for (const instance of [this.ctx.instance, ...this.adopted.keys()])
      await retireInstance(redis, this.opts, instance);
    // No process but this one is connected, and it is leaving: every run's liveness entry is stale.
    await redis.del(keys.coordinatorRuns());
    await redis.del(keys.lockOwners());
    return true;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.adopted.values()].map((w) => w.close(true)));
    // Leaving: this instance's queue is for others to adopt, its locks for others to take over.
    const keys = keysOf(this.ctx.redis);
    await this.ctx.redis
      .multi()
      .hset(keys.instances(), this.ctx.instance, '0')
      .hset(keys.coordinatorRuns(), this.opts.connectionName, '0')
      .exec()
      .catch(() => undefined);
  }
}
