// Redis key names for Accord's own state (BullMQ keeps its queues under its own prefix).
import { CLUSTER_HASH_TAG, type RedisClient } from '../../shared/redis-target.js';

export const PREFIX = 'accord';

/** Accord's keys under `prefix`. */
function keyNames(prefix: string) {
  return {
    /** hash: coordinator instance -> last heartbeat (ms) */
    instances: () => `${prefix}:instances`,
    /** hash: coordinator process (its Redis connection name) -> last heartbeat (Redis time, ms) */
    coordinatorRuns: () => `${prefix}:coordinator-runs`,
    /** hash: BullMQ worker id -> the connection name of the coordinator process running it (liveness.ts) */
    lockOwners: () => `${prefix}:lock-owners`,
    /** hash: site -> JSON WorkerEntry */
    workers: () => `${prefix}:workers`,
    /** sorted set of experiment ids by creation time */
    experiments: () => `${prefix}:experiments`,
    /** hash: the experiment record */
    experiment: (id: string) => `${prefix}:exp:${id}`,
    /** hash: round -> JSON RoundRecord */
    rounds: (id: string) => `${prefix}:exp:${id}:rounds`,
    /** hash: site -> the rows it declared when it first trained in the experiment */
    declared: (id: string) => `${prefix}:exp:${id}:declared`,
    /** hash: site -> JSON Approval (the site's signed approval of the manifest) */
    approvals: (id: string) => `${prefix}:exp:${id}:approvals`,
    /** hash: site -> why the site's policy or budget refused the experiment (it takes no further part) */
    refusals: (id: string) => `${prefix}:exp:${id}:refusals`,
    /** string: the JSON roster the experiment's manifest names (for the report) */
    roster: (id: string) => `${prefix}:exp:${id}:roster`,
    /** hash: site -> JSON SiteAuditHead (the latest signed head of the site's audit chain) */
    auditHeads: (id: string) => `${prefix}:exp:${id}:audit-heads`,
    /** string: the bundle of the experiment's app (shared/apps/bundle.ts), served to its sites by digest */
    app: (id: string) => `${prefix}:exp:${id}:app`,
    /** list of JSON events (failures, retries) */
    events: (id: string) => `${prefix}:exp:${id}:events`,
  };
}

/** Accord's keys on a single Redis server. */
export const keys = keyNames(PREFIX);

/** Accord's keys in a Redis Cluster: all in the slot of one hash tag, so MULTI and scripts may combine them. */
export const clusterKeys = keyNames(CLUSTER_HASH_TAG);

/** The keys for this client: hash-tagged when it talks to a cluster. */
export function keysOf(redis: RedisClient): typeof keys {
  return redis.isCluster ? clusterKeys : keys;
}
