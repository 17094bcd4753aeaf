// What the round steps share: Redis records, the registry, this instance's sessions, the store, the queues.
import type { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SecAggStage } from '../../shared/config/schema';
import type { Logger } from '../../shared/log/logger';
import type { CoordinatorMetrics } from '../http/metrics';
import type { CommitJobSecure, ExperimentRecords } from '../experiments/records';
import type { SessionHub } from '../sessions/hub';
import type { TaskOutcome } from '../sessions/session';
import type { WorkerRegistry } from '../sessions/registry';
import type { Checkpoints } from '../store/checkpoints';
import type { StorePaths } from '../store/paths';
import type { WeightsCache } from '../store/weights-cache';

export interface RoundContext {
  instance: string;
  redis: Redis;
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
}

/** Data of every job of one round. */
export interface RoundJobData {
  experimentId: string;
  round: number;
  attempt: number;
}

export interface SelectJobData extends RoundJobData {
  /** When this round attempt first started waiting for workers. */
  since: number;
}

export interface TaskJobData extends RoundJobData {
  kind: 'train' | 'evaluate' | 'secagg' | 'stats';
  site: string;
  taskId: string;
  /** For secagg tasks: the protocol stage. */
  stage?: SecAggStage;
}

export interface SecAggJobData extends RoundJobData {
  stage: SecAggStage;
}

/** What a finished train or evaluate task returns (kept by BullMQ as the job's return value). */
export interface TaskJobResult extends TaskOutcome {
  site: string;
  kind: 'train' | 'evaluate' | 'secagg' | 'stats';
  backend: string;
}

export interface AggregateJobData extends RoundJobData {
  selected: string[];
  /** Live workers the sample was drawn from (the sampling rate is selected / population). */
  population: number;
  startedAt: number;
}

export interface CommitJobData extends RoundJobData {
  startedAt: number;
  trainEndedAt: number;
  aggregateMs: number;
  participants: string[];
  failures: Record<string, string>;
  train: Record<string, Omit<TaskJobResult, 'site' | 'kind' | 'spoolFile'>>;
  trainLoss: number;
  /** This round's privacy cost inputs, when differential privacy is on. */
  dp?: { q: number; noiseMultiplier: number; effectiveNoiseMultiplier: number; contributed: number; expected: number };
  /** Secure aggregation summary, when on. */
  secure?: CommitJobSecure;
  /** Sites that evaluate this round's model (the round's selected sites). */
  evaluateAt: string[];
  /** Sites whose updates a selecting robust strategy (Krum) kept. */
  robust?: { selected: string[] };
}
