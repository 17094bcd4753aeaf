// Worker registry in Redis: which site is connected to which coordinator instance, and when it was last seen.
// Any coordinator process sharing the Redis can route a site's task to the instance holding its stream.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keys } from '../experiments/keys.js';
import { jsonText, parseStored } from '../experiments/stored.js';

const workerEntrySchema = z.object({
  site: z.string(),
  /** The coordinator instance that holds the site's stream. */
  instance: z.string(),
  sessionId: z.string(),
  connectedAt: z.number(),
  lastSeen: z.number(),
  datasets: z.array(z.object({ name: z.string(), examples: z.number() })),
  backend: z.string(),
  device: z.string(),
  version: z.string(),
  tfjsVersion: z.string(),
});
export type WorkerEntry = z.infer<typeof workerEntrySchema>;
const storedEntry = jsonText.pipe(workerEntrySchema);

// Check-and-set in Lua so a session closing cannot delete or overwrite the entry of the session
// that replaced it (a reconnect racing the old stream's teardown).
const REMOVE = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and cjson.decode(v).sessionId == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;
const TOUCH = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return -1 end
local e = cjson.decode(v)
if e.sessionId ~= ARGV[2] then return 0 end
e.lastSeen = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return 1`;

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

  /**
   * Refreshes lastSeen, atomically and only while the entry still belongs to this session. Returns
   * 'missing' when there is no entry at all (Redis lost its data): the caller registers again.
   */
  async touch(site: string, sessionId: string): Promise<'touched' | 'replaced' | 'missing'> {
    const r = Number(await this.redis.eval(TOUCH, 1, keys.workers(), site, sessionId, String(Date.now())));
    return r === 1 ? 'touched' : r === -1 ? 'missing' : 'replaced';
  }

  /** Removes the entry only if it still belongs to this session (a reconnect may have replaced it). */
  async remove(site: string, sessionId: string): Promise<void> {
    await this.redis.eval(REMOVE, 1, keys.workers(), site, sessionId);
  }

  /** Drops every entry of an instance: at start-up they are stale (left by this instance's previous run). */
  async purgeInstance(instance: string): Promise<string[]> {
    const stale = (await this.all()).filter((w) => w.instance === instance).map((w) => w.site);
    if (stale.length) await this.redis.hdel(keys.workers(), ...stale);
    return stale;
  }

  async get(site: string): Promise<WorkerEntry | undefined> {
    const raw = await this.redis.hget(keys.workers(), site);
    return raw ? parseStored(storedEntry, raw, `registry entry of ${site}`) : undefined;
  }

  async all(): Promise<WorkerEntry[]> {
    const raw = await this.redis.hgetall(keys.workers());
    return Object.entries(raw)
      .map(([site, v]) => parseStored(storedEntry, v, `registry entry of ${site}`))
      .sort((a, b) => a.site.localeCompare(b.site));
  }

  async live(now = Date.now()): Promise<WorkerEntry[]> {
    return (await this.all()).filter((w) => now - w.lastSeen <= LIVENESS_INTERVALS * this.heartbeatMs);
  }
}
