// Which coordinator processes are alive, as Redis itself sees them. Each coordinator names its Redis
// connection (CLIENT SETNAME, renewed by ioredis on every reconnect). When a process dies the kernel
// closes its sockets, so it leaves CLIENT LIST within moments; a slow one (an event loop busy with a
// long aggregation) stays listed. Locks are released early only on this evidence and a heartbeat gone
// quiet (adoption.ts); without CLIENT LIST they expire after the lock duration as usual.
// In a Redis Cluster each node lists only its own clients: every master is asked, and the names are
// pooled (a coordinator's commands go to the master holding Accord's hash slot, and ioredis names each
// of its node connections). A master that does not answer (one failing over) makes the answer unknown.
import type { Cluster } from 'ioredis';
import type { RedisClient } from '../shared/redis-target.js';

const NAME_PREFIX = 'accord-coordinator';

/** The connection name of one coordinator process: its instance name and a per-process run id. */
export function coordinatorConnectionName(instance: string, runId: string): string {
  return `${NAME_PREFIX}:${instance}:${runId}`;
}

/** The instance part of a coordinator connection name (instance names hold no ':'). */
export function instanceOf(connectionName: string): string | undefined {
  const parts = connectionName.split(':');
  return parts.length === 3 && parts[0] === NAME_PREFIX ? parts[1] : undefined;
}

/** The coordinator connection names in a CLIENT LIST reply. */
export function coordinatorNames(clientList: string): Set<string> {
  const names = new Set<string>();
  for (const line of clientList.split('\n')) {
    const m = / name=(\S+)/.exec(line);
    if (m && instanceOf(m[1]!) !== undefined) names.add(m[1]!);
  }
  return names;
}

/**
 * The coordinators connected now, or undefined where CLIENT LIST is not allowed (a managed Redis with
 * ACLs): then nothing is presumed dead early.
 */
export async function connectedCoordinators(redis: RedisClient): Promise<Set<string> | undefined> {
  try {
    if (!redis.isCluster) return coordinatorNames(String(await redis.call('CLIENT', 'LIST', 'TYPE', 'normal')));
    const masters = (redis as Cluster).nodes('master');
    if (!masters.length) return undefined;
    const lists = await Promise.all(
      masters.map((node) => within(node.call('CLIENT', 'LIST', 'TYPE', 'normal'), CLUSTER_NODE_WAIT_MS)),
    );
    const names = new Set<string>();
    for (const list of lists) for (const name of coordinatorNames(String(list))) names.add(name);
    return names;
  } catch {
    return undefined;
  }
}

/**
 * A check whether a process of coordinator `instance` is connected to Redis (true when that cannot be
 * known). One CLIENT LIST serves every call within `maxAgeMs`: after a coordinator dies, each of its
 * sites asks as it dials the next one, and there may be 100,000 of them.
 */
export function instanceConnectedCheck(redis: RedisClient, maxAgeMs = 500): (instance: string) => Promise<boolean> {
  let last: { at: number; live: Promise<Set<string> | undefined> } | undefined;
  return async (instance) => {
    if (!last || Date.now() - last.at > maxAgeMs) last = { at: Date.now(), live: connectedCoordinators(redis) };
    const live = await last.live;
    return !live || hasProcessOf(instance, live);
  };
}

/** Whether a connection in `live` belongs to a process of coordinator `instance`. */
function hasProcessOf(instance: string, live: ReadonlySet<string>): boolean {
  for (const name of live) if (instanceOf(name) === instance) return true;
  return false;
}

/** How long one cluster node may take to answer CLIENT LIST. */
const CLUSTER_NODE_WAIT_MS = 2000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// TIME from a script keyed on `KEYS[1]`: in a cluster it runs on the master holding Accord's slot, so
// every coordinator reads the same server's clock (a keyless TIME goes to any node).
const TIME_AT = "local t = redis.call('TIME') return {t[1], t[2]}";

/** Redis server time (ms) from the server holding `key`: heartbeats are compared on one clock. */
export async function serverTimeMs(redis: RedisClient, key: string): Promise<number> {
  const [sec, micro] = redis.isCluster ? ((await redis.eval(TIME_AT, 1, key)) as [string, string]) : await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
}

/**
 * Whether a coordinator process is dead: it is not connected to Redis, and its last heartbeat (Redis
 * server time, ms) is older than `confirmMs`. A coordinator that is only reconnecting after a network
 * blip shorter than that is not; one killed long ago is dead at the first look, with no wait.
 */
export function isDead(
  name: string,
  live: ReadonlySet<string>,
  lastBeatMs: number | undefined,
  nowMs: number,
  confirmMs: number,
): boolean {
  return !live.has(name) && nowMs - (lastBeatMs ?? 0) >= confirmMs;
}

/** Whether no process of `instance` is connected and the instance's last heartbeat is older than confirmMs. */
export function isInstanceDead(
  instance: string,
  live: ReadonlySet<string>,
  lastBeatMs: number | undefined,
  nowMs: number,
  confirmMs: number,
): boolean {
  return !hasProcessOf(instance, live) && nowMs - (lastBeatMs ?? 0) >= confirmMs;
}
