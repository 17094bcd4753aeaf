// The data each BullMQ job of a round carries, and what task jobs return. Job data is JSON that
// BullMQ stores in Redis, written and read only by coordinator processes of one version.
import type { SecAggStage } from '../../shared/config/schema.js';
import type { BoundedEntry, SecureSummary } from '../experiments/records.js';
import type { RoundPrivacyCost } from '../privacy/differential-privacy.js';
import type { TaskKind, TaskOutcome } from '../sessions/task.js';
import type { RoundRef } from './names.js';

export interface SelectJobData extends RoundRef {
  /** When this round attempt first started waiting for workers. */
  since: number;
}

interface TaskJobBase extends RoundRef {
  site: string;
  taskId: string;
  /** Sites asked in the same step (a site's policy may require a minimum). */
  siteCount: number;
  /**
   * Async mode: a train task from model version `round - 1` that feeds the update buffer, or an
   * evaluate task of committed version `round`.
   */
  async?: true;
}

/** A child job of a round step: one task for one site (a secure-aggregation task names its stage). */
export type TaskJobData =
  | (TaskJobBase & { kind: 'train' | 'evaluate' | 'stats' })
  | (TaskJobBase & { kind: 'secagg'; stage: SecAggStage });

export interface SecAggJobData extends RoundRef {
  stage: SecAggStage;
}

/** What a finished train or evaluate task returns (kept by BullMQ as the job's return value). */
export interface TaskJobResult extends TaskOutcome {
  site: string;
  kind: TaskKind;
  backend: string;
  /** Why the site trains on that backend (Hello.backend_reason); absent from older workers. */
  backendReason?: string;
}

/** A train task's result as the round's steps keep it (who sent it and where it is spooled aside). */
export type TrainOutcome = Omit<TaskJobResult, 'site' | 'kind' | 'spoolFile'>;

export interface AggregateJobData extends RoundRef {
  selected: string[];
  /** Live workers the sample was drawn from (the sampling rate is selected / population). */
  population: number;
  startedAt: number;
}

export interface CommitJobData extends RoundRef {
  startedAt: number;
  trainEndedAt: number;
  aggregateMs: number;
  participants: string[];
  failures: Record<string, string>;
  train: Record<string, TrainOutcome>;
  trainLoss: number;
  /** This round's privacy cost, when differential privacy is on. */
  dp?: RoundPrivacyCost;
  /** Secure aggregation summary, when on. */
  secure?: SecureSummary;
  /** Bytes of the secure-aggregation stages; under secure aggregation the masked vectors are the upload. */
  secureBytes?: { up: number; down: number };
  /** Sites that evaluate this round's model (the round's selected sites). */
  evaluateAt: string[];
  /** Sites whose updates a selecting robust strategy (Krum) kept. */
  robust?: { selected: string[] };
  /** Updates scaled down to the round's norm bound and weights capped to a site's share. */
  bounded?: BoundedEntry[];
}

/** Async mode: the sites' evaluation of committed version `version` (the parent of its evaluate tasks). */
export interface AsyncEvalJobData {
  experimentId: string;
  version: number;
  /** The experiment's last version: it ends when this evaluation has. */
  last: boolean;
}

/** Async mode: commit model version `version` from the next bufferSize buffered updates. */
export interface AsyncCommitJobData {
  experimentId: string;
  version: number;
}
