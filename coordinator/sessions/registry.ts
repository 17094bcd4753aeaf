// Worker registry in Redis: which site is connected to which coordinator instance, and when it was last seen.
// Any coordinator process sharing the Redis can route a site's task to the instance holding its stream.
import type { Redis } from 'ioredis';
import { keys } from '../experiments/keys';

export interface WorkerEntry {
  site: string;
  instance: string;
  sessionId: string;
  connectedAt: number;
  lastSeen: number;
  datasets: { name: string; examples: number }[];
  backend: string;
  device: string;
  version: string;
  tfjsVersion: string;
}

/** A worker is live when seen within this many heartbeat intervals. */
export const LIVENESS_INTERVALS = 3;

export class WorkerRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly heartbeatMs: number,
  ) {}

  async upsert(entry: WorkerEntry): Promise<void> {
    await this.redis.hset(keys.workers(), entry.site, JSON.stringify(entry));
  }

  async touch(site: string, sessionId: string): Promise<void> {
    const cur = await this.get(site);
    if (cur && cur.sessionId === sessionId) await this.upsert({ ...cur, lastSeen: Date.now() });
  }

  /** Removes the entry only if it still belongs to this session (a reconnect may have replaced it). */
  async remove(site: string, sessionId: string): Promise<void> {
    const cur = await this.get(site);
    if (cur && cur.sessionId === sessionId) await this.redis.hdel(keys.workers(), site);
  }

  async get(site: string): Promise<WorkerEntry | undefined> {
    const raw = await this.redis.hget(keys.workers(), site);
    return raw ? (JSON.parse(raw) as WorkerEntry) : undefined;
  }

  async all(): Promise<WorkerEntry[]> {
    const raw = await this.redis.hgetall(keys.workers());
    return Object.values(raw)
      .map((v) => JSON.parse(v) as WorkerEntry)
      .sort((a, b) => a.site.localeCompare(b.site));
  }

  async live(now = Date.now()): Promise<WorkerEntry[]> {
    return (await this.all()).filter((w) => now - w.lastSeen <= LIVENESS_INTERVALS * this.heartbeatMs);
  }
}
