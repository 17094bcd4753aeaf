// Where Accord's Redis is: one server (a redis:// URL, `--redis`) or a Redis Cluster (seed nodes,
// `--redis-cluster`). This file turns either into ioredis clients and BullMQ's connection options.
//
// In a cluster every multi-key command, MULTI and Lua script must touch one hash slot, and a BullMQ flow
// spans queues (parent in `rounds`, children in `tasks.*`). So in cluster mode all of Accord's keys and
// BullMQ's share the hash tag {accord} (one slot, on one master and its replicas): a cluster gives Accord
// failover, not sharding. On a single server key names stay as they were (accord:*, bull:*).
import { Cluster, type ClusterOptions, type Redis } from 'ioredis';
import { ConfigError } from './errors/index.js';
import { type RedisOptions, redisOptions } from './redis-url.js';

/** An Accord Redis client: one server or a cluster (the commands Accord uses are the same on both). */
export type RedisClient = Redis | Cluster;

/** A Redis Cluster, by seed nodes: "HOST:PORT[,HOST:PORT...]" (each may be a redis://[user:pass@]HOST:PORT URL). */
export interface ClusterTarget {
  cluster: string;
}

/** A single server's URL, or a cluster. */
export type RedisTarget = string | ClusterTarget;

/** The hash tag of every key in cluster mode. */
export const CLUSTER_HASH_TAG = '{accord}';
/** BullMQ's key prefix in cluster mode (the default elsewhere is "bull"). */
export const CLUSTER_BULL_PREFIX = `${CLUSTER_HASH_TAG}:bull`;

export function isClusterTarget(t: RedisTarget): t is ClusterTarget {
  return typeof t !== 'string';
}

interface Seeds {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
}

function parseSeeds(list: string): Seeds {
  const out: Seeds = { nodes: [] };
  for (const raw of list.split(',').map((s) => s.trim())) {
    if (!raw) continue;
    if (raw.startsWith('redis://')) {
      const o = redisOptions(raw);
      out.nodes.push({ host: o.host, port: o.port });
      if (o.username) out.username = o.username;
      if (o.password) out.password = o.password;
      continue;
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      throw new ConfigError(`--redis-cluster: "${raw}" is not HOST:PORT (expected HOST:PORT[,HOST:PORT...])`);
    out.nodes.push({ host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) });
  }
  if (!out.nodes.length) throw new ConfigError('--redis-cluster: expected HOST:PORT[,HOST:PORT...]');
  return out;
}

/** A cluster target from `--redis-cluster`'s value; a ConfigError when it does not parse. */
export function clusterTarget(list: string): ClusterTarget {
  parseSeeds(list);
  return { cluster: list };
}

/** The target a command was given: `--redis-cluster` when present, else `--redis`. */
export function redisTargetOf(
  o: { redis?: string | undefined; redisCluster?: string | undefined },
  fallback: string,
): RedisTarget {
  return o.redisCluster ? clusterTarget(o.redisCluster) : (o.redis ?? fallback);
}

/** For messages: the URL, or "Redis Cluster HOST:PORT,...". */
export function describeTarget(t: RedisTarget): string {
  if (!isClusterTarget(t)) return t;
  return `Redis Cluster ${parseSeeds(t.cluster)
    .nodes.map((n) => `${n.host}:${n.port}`)
    .join(',')}`;
}

/** The command-line flags that name this target (for child processes). */
export function targetFlags(t: RedisTarget): string[] {
  return isClusterTarget(t) ? ['--redis-cluster', t.cluster] : ['--redis', t];
}

export interface ClusterClientOptions {
  connectionName?: string;
  lazyConnect?: boolean;
  clusterRetryStrategy?: ClusterOptions['clusterRetryStrategy'];
}

/**
 * An ioredis Cluster client. Commands wait out a failover (a master lost, its replica promoted after the
 * cluster's node timeout: seconds) instead of failing: CLUSTERDOWN and a closed node connection are
 * retried every 250 ms with the slot map refreshed, up to 80 times (about 20 s).
 */
export function newClusterClient(t: ClusterTarget, o: ClusterClientOptions = {}): Cluster {
  const seeds = parseSeeds(t.cluster);
  return new Cluster(seeds.nodes, {
    redisOptions: {
      // Required by BullMQ workers, and Accord's own commands wait out outages the same way.
      maxRetriesPerRequest: null,
      ...(seeds.username ? { username: seeds.username } : {}),
      ...(seeds.password ? { password: seeds.password } : {}),
      // Named on every node connection, so CLIENT LIST on any master shows it (coordinator/liveness.ts).
      ...(o.connectionName ? { connectionName: o.connectionName } : {}),
    },
    retryDelayOnFailover: 250,
    retryDelayOnClusterDown: 250,
    retryDelayOnTryAgain: 250,
    maxRedirections: 80,
    ...(o.lazyConnect ? { lazyConnect: true } : {}),
    ...(o.clusterRetryStrategy ? { clusterRetryStrategy: o.clusterRetryStrategy } : {}),
  });
}

/** BullMQ's `connection` and `prefix` (spread both into Queue, Worker and FlowProducer options). */
export interface BullConnection {
  connection: RedisOptions | Cluster;
  prefix?: string;
}

/**
 * BullMQ's connection for a target, and how to close it. A single server: options (each queue and worker
 * opens its own connections). A cluster: one shared Cluster client (workers duplicate it for their
 * blocking commands) and the hash-tagged prefix; close() disconnects it once BullMQ is done with it.
 */
export function bullConnection(t: RedisTarget): BullConnection & { close(): void } {
  if (!isClusterTarget(t)) return { connection: redisOptions(t), close: () => undefined };
  const cluster = newClusterClient(t);
  cluster.on('error', () => undefined); // BullMQ reports its own connection errors
  return { connection: cluster, prefix: CLUSTER_BULL_PREFIX, close: () => cluster.disconnect() };
}

/**
 * BullMQ's connection for short, non-blocking use (a queue, a flow producer) next to an Accord client
 * already connected to `t`: in a cluster the client itself, else options for the same URL.
 */
export function bullConnectionOf(client: RedisClient, t: RedisTarget): BullConnection {
  if (isClusterTarget(t) || client.isCluster) return { connection: client as Cluster, prefix: CLUSTER_BULL_PREFIX };
  return { connection: redisOptions(t) };
}
