// Worker registry in Redis: which site is connected to which coordinator instance, and when it was last seen.
// Any coordinator process sharing the Redis can route a site's task to the instance holding its stream.
import { z } from 'zod';
import type { RedisClient } from '../../shared/redis-target.js';
import { keysOf } from '../experiments/keys.js';
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
  /** The heartbeat interval of the site's session (coordinators of large simulations space them out). */
  heartbeatMs: z.number().optional(),
  /** The worker process's id from its Hello (admission.ts); absent for older workers. */
  workerInstance: z.string().optional(),
});
export type WorkerEntry = z.infer<typeof workerEntrySchema>;
const storedEntry = jsonText.pipe(workerEntrySchema);

// Check-and-set in Lua so a session closing cannot delete or overwrite the entry of the session
// that replaced it (a reconnect racing the old stream's teardown).
const REMOVE = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and cjson.decode(v).sessionId == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

// Refreshes lastSeen of many sessions in one call, each only while the entry still belongs to that
// session: one round trip per batch, so a sweep over 100,000 sessions stays short.
// Returns per pair 1 touched, 0 replaced (a newer session holds the site), -1 missing.
const TOUCH_MANY = `local out = {}
for i = 2, #ARGV, 2 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if not v then out[#out + 1] = -1
  else
    local e = cjson.decode(v)
    if e.sessionId ~= ARGV[i + 1] then out[#out + 1] = 0
    else
      e.lastSeen = tonumber(ARGV[1])
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(e))
      out[#out + 1] = 1
    end
  end
end
return out`;

// Registers a session unless another worker process holds the site on another coordinator, its entry
// still fresh (that coordinator's sweep refreshes it while the session is open): then returns that entry.
// The same worker process (same worker instance), an older worker (none), an entry of this coordinator
// (its own sessions decide) or a stale entry is replaced. ARGV: site, entry, instance, worker instance,
// now, heartbeat ms, intervals: an entry is fresh within that many of its heartbeat intervals.
const CLAIM = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local e = cjson.decode(v)
  local w = e.workerInstance
  if type(w) == 'string' and w ~= '' and ARGV[4] ~= '' and w ~= ARGV[4] and e.instance ~= ARGV[3] then
    local hb = math.max(tonumber(ARGV[6]), tonumber(e.heartbeatMs) or 0)
    if tonumber(ARGV[5]) - tonumber(e.lastSeen) <= tonumber(ARGV[7]) * hb then return v end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return false`;

/** Sessions touched per TOUCH_MANY call. */
const TOUCH_BATCH = 500;

/** A worker is live when seen within this many heartbeat intervals. */
export const LIVENESS_INTERVALS = 3;

export class WorkerRegistry {
  /** The registry hash. */
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly heartbeatMs: number,
  ) {
    this.key = keysOf(redis).workers();
  }

  async upsert(entry: WorkerEntry): Promise<void> {
    await this.redis.hset(this.key, entry.site, JSON.stringify(entry));
  }

  /**
   * Registers `entry` unless another worker process holds its site, live, on another coordinator: then
   * nothing is written and that worker's entry is returned.
   */
  async claim(entry: WorkerEntry): Promise<WorkerEntry | undefined> {
    const args = [entry.site, JSON.stringify(entry), entry.instance, entry.workerInstance ?? ''];
    const window = [String(entry.lastSeen), String(this.heartbeatMs), String(LIVENESS_INTERVALS)];
    const held = await this.redis.eval(CLAIM, 1, this.key, ...args, ...window);
    return typeof held === 'string' ? parseStored(storedEntry, held, `registry entry of ${entry.site}`) : undefined;
  }

  /** Refreshes lastSeen of open sessions, in batches; the sites whose entries are missing (Redis lost its data). */
  async touchMany(sessions: readonly { site: string; sessionId: string }[]): Promise<Set<string>> {
    const missing = new Set<string>();
    for (let i = 0; i < sessions.length; i += TOUCH_BATCH) {
      const batch = sessions.slice(i, i + TOUCH_BATCH);
      const args = batch.flatMap((s) => [s.site, s.sessionId]);
      const r = (await this.redis.eval(TOUCH_MANY, 1, this.key, String(Date.now()), ...args)) as number[];
      batch.forEach((s, k) => {
        if (Number(r[k]) === -1) missing.add(s.site);
      });
    }
    return missing;
  }

  /** Removes the entry only if it still belongs to this session (a reconnect may have replaced it). */
  async remove(site: string, sessionId: string): Promise<void> {
    await this.redis.eval(REMOVE, 1, this.key, site, sessionId);
  }

  /** Drops every entry of an instance: at start-up they are stale (left by this instance's previous run). */
  async purgeInstance(instance: string): Promise<string[]> {
    const stale = (await this.all()).filter((w) => w.instance === instance).map((w) => w.site);
    if (stale.length) await this.redis.hdel(this.key, ...stale);
    return stale;
  }

  async get(site: string): Promise<WorkerEntry | undefined> {
    const raw = await this.redis.hget(this.key, site);
    return raw ? parseStored(storedEntry, raw, `registry entry of ${site}`) : undefined;
  }

  async all(): Promise<WorkerEntry[]> {
    const raw = await this.redis.hgetall(this.key);
    return Object.entries(raw)
      .map(([site, v]) => parseStored(storedEntry, v, `registry entry of ${site}`))
      .sort((a, b) => a.site.localeCompare(b.site));
  }

  async live(now = Date.now()): Promise<WorkerEntry[]> {
    return (await this.all()).filter(
      (w) => now - w.lastSeen <= LIVENESS_INTERVALS * Math.max(this.heartbeatMs, w.heartbeatMs ?? 0),
    );
  }
}
