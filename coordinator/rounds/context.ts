// What the round steps share: Redis records, the registry, this instance's sessions, the store, the queues.
import type { FlowProducer, Queue } from 'bullmq';
import type { Logger } from '../../shared/log/logger.js';
import type { RedisClient } from '../../shared/redis-target.js';
import type { Roster } from '../../shared/trust/roster.js';
import type { ExperimentRecords } from '../experiments/records.js';
import type { CoordinatorMetrics } from '../metrics/counters.js';
import type { SessionHub } from '../sessions/hub.js';
import type { WorkerRegistry } from '../sessions/registry.js';
import type { Checkpoints } from '../store/checkpoints.js';
import type { StorePaths } from '../store/paths.js';
import type { WeightsCache } from '../store/weights-cache.js';

export interface RoundContext {
  instance: string;
  redis: RedisClient;
  records: ExperimentRecords;
  registry: WorkerRegistry;
  hub: SessionHub;
  paths: StorePaths;
  checkpoints: Checkpoints;
  weights: WeightsCache;
  rounds: Queue;
  flows: FlowProducer;
  log: Logger;
  /** Poll interval while waiting for workers. */
  selectPollMs: number;
  metrics: CoordinatorMetrics;
  /**
   * The federation's roster, when the operator gave one: its hash goes into every manifest, so the
   * sites (which pin their own copy) approve only experiments among the sites they know.
   */
  roster?: Roster | undefined;
}
