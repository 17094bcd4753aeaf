// Redis key names for Accord's own state (BullMQ keeps its queues under its own prefix).
export const PREFIX = 'accord';

export const keys = {
  /** hash: coordinator instance -> last heartbeat (ms) */
  instances: () => `${PREFIX}:instances`,
  /** hash: coordinator process (its Redis connection name) -> last heartbeat (Redis time, ms) */
  coordinatorRuns: () => `${PREFIX}:coordinator-runs`,
  /** hash: BullMQ worker id -> the connection name of the coordinator process running it (liveness.ts) */
  lockOwners: () => `${PREFIX}:lock-owners`,
  /** hash: site -> JSON WorkerEntry */
  workers: () => `${PREFIX}:workers`,
  /** sorted set of experiment ids by creation time */
  experiments: () => `${PREFIX}:experiments`,
  /** hash: the experiment record */
  experiment: (id: string) => `${PREFIX}:exp:${id}`,
  /** hash: round -> JSON RoundRecord */
  rounds: (id: string) => `${PREFIX}:exp:${id}:rounds`,
  /** hash: site -> the rows it declared when it first trained in the experiment */
  declared: (id: string) => `${PREFIX}:exp:${id}:declared`,
  /** list of JSON events (failures, retries) */
  events: (id: string) => `${PREFIX}:exp:${id}:events`,
};
