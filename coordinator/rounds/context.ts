// What the round steps share: Redis records, the registry, this instance's sessions, the store, the queues.
import type { FlowProducer, Queue } from 'bullmq';
import type { Logger } from '../../shared/log/logger.js';
import type { RedisClient } from '../../shared/redis-target.js';
import type { Roster } from '../../shared/trust/roster.js';
import type { ExperimentRecord, ExperimentRecords } from '../experiments/records.js';
import type { CoordinatorMetrics } from '../metrics/counters.js';
import type { RoundRef } from '../queues/names.js';
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

/**
 * The opening of every round step: the experiment's record while it is still running (and, with
 * `uncommitted`, while this round is not committed yet), or why the step has nothing to do. Steps
 * are retried and replayed by BullMQ, so a step for an ended experiment or a committed round is a no-op.
 */
export async function openStep(
  ctx: RoundContext,
  ref: Pick<RoundRef, 'experimentId' | 'round'>,
  uncommitted = false,
): Promise<ExperimentRecord | string> {
  const rec = await ctx.records.get(ref.experimentId);
  if (rec?.status !== 'running') return 'experiment not running';
  if (uncommitted && ctx.checkpoints.exists(ref.experimentId, ref.round)) return 'already committed';
  return rec;
}
