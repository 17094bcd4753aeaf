// Coordinators on one Redis watch each other: each writes a heartbeat, and when one falls silent for
// longer than the job lock, a live coordinator adopts its tasks queue, so the tasks routed to the dead
// instance (whatever it was called) reach the sites, which have failed over to a live coordinator.
import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import { keys } from './experiments/keys.js';
import { tasksQueue } from './queues/names.js';
import type { RoundContext } from './rounds/context.js';
import { runTask } from './rounds/run-task.js';

export interface AdoptionOptions {
  connection: ConnectionOptions;
  /** How often this instance writes its heartbeat and looks for dead ones. */
  intervalMs: number;
  /** An instance silent for this long is dead (the job lock duration: its jobs are free by then). */
  deadAfterMs: number;
}

export class Adoption {
  private timer: NodeJS.Timeout | undefined;
  private readonly adopted = new Map<string, Worker>();

  constructor(
    private readonly ctx: RoundContext,
    private readonly opts: AdoptionOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick().catch(() => undefined), this.opts.intervalMs);
    this.timer.unref();
    void this.tick().catch(() => undefined);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    await this.ctx.redis.hset(keys.instances(), this.ctx.instance, String(now));
    for (const [instance, seen] of Object.entries(await this.ctx.redis.hgetall(keys.instances()))) {
      if (instance === this.ctx.instance || this.adopted.has(instance)) continue;
      if (now - Number(seen) <= this.opts.deadAfterMs) continue;
      const worker = new Worker(tasksQueue(instance), (job: Job) => runTask(this.ctx, job), {
        connection: this.opts.connection,
        concurrency: 64,
        lockDuration: this.opts.deadAfterMs,
        // The dead instance's jobs are still locked by it: check often, so they are taken over soon.
        stalledInterval: Math.max(1000, Math.floor(this.opts.deadAfterMs / 2)),
      });
      worker.on('error', () => undefined);
      this.adopted.set(instance, worker);
      this.ctx.log.warn(
        { dead: instance, silentMs: now - Number(seen) },
        'adopted the tasks of a coordinator that fell silent',
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.adopted.values()].map((w) => w.close(true)));
    // Leaving: this instance's queue is for others to adopt.
    await this.ctx.redis.hset(keys.instances(), this.ctx.instance, '0').catch(() => undefined);
  }
}
