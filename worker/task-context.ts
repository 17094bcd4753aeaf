// What a site's task runs with: the site's options, the tasks themselves (a global model that has
// arrived), and the site's state that every kind of task shares (its outbox, policy, budget and trust).
import type * as tf from '@tensorflow/tfjs';
import type { Attack } from '../shared/attack.js';
import type { SitePartition } from '../shared/data/images.js';
import type { Logger } from '../shared/log/logger.js';
import type { TaskHeader__Output } from '../shared/protocol/load.js';
import type { TensorShape } from '../shared/tensors/weights.js';
import type { Identity } from '../shared/trust/identity.js';
import type { ModelTies } from './model-ties.js';
import type { Outbox } from './outbox.js';
import type { SitePolicy } from './policy.js';
import type { RecordPrivacy } from './record-privacy.js';
import type { SecureStages } from './secure-stages.js';
import type { SiteBudget } from './site-budget.js';
import type { SiteTrust } from './site-trust.js';

export interface SiteOptions {
  site: string;
  /** The site's data file or directory. */
  dataFile: string;
  /** Simulation only: this logical site holds this partition of the data set at `dataFile`. */
  partition?: SitePartition | undefined;
  /** Simulation only: poison this site's updates (see shared/attack.ts). */
  attack?: Attack | undefined;
  /** The site's own policy: tasks that break it are refused before anything is computed or sent. */
  policy?: SitePolicy | undefined;
  /** The site's identity key: with it (or a policy), the site's own data rules and split apply (site-data.ts). */
  identity?: Identity | undefined;
  /** Where the site keeps its approvals, release ledger and budget (budget.json). Default: memory. */
  approvalsDir?: string | undefined;
  /**
   * Simulation pools: one model object per architecture for all of the process's sites. They take
   * turns (TaskGate) and every task sets the global weights first, so nothing of one site's training
   * stays in it; a model per site made a pool's heap, and each round, grow with the sites it had served.
   */
  sharedModels?: Map<string, tf.LayersModel> | undefined;
  /** Benchmarks only: no local training; a fixed delta of the model's size (sendStub). */
  stubTraining?: boolean | undefined;
  /**
   * Simulation only: a straggler this many times slower. After training it waits (slowdown - 1) times
   * its training time before sending, outside the pool's gate (execute returns the wait and the send).
   */
  slowdown?: number | undefined;
}

/** What is left of a task once its compute is done: a straggler's delayed send. */
export type Deferred = () => Promise<void>;

/** A train or evaluate task whose global model has fully arrived. */
export interface ModelTask {
  kind: 'train' | 'evaluate';
  header: TaskHeader__Output;
  specs: TensorShape[];
  values: Float32Array;
  /** Set when the coordinator cancels the task. */
  cancelled: boolean;
}

/** The site's state as every task sees it (TaskRunner holds it). */
export interface TaskContext {
  readonly opts: SiteOptions;
  readonly outbox: Outbox;
  readonly secure: SecureStages;
  readonly log: Logger;
  /** The site's identity, roster and approvals; without it the site runs in trusting mode. */
  readonly trust: SiteTrust | undefined;
  /** The site's policy as it applies: the given one, the defaults for a site with an identity, or none (trusting). */
  readonly policy: SitePolicy | undefined;
  readonly budget: SiteBudget;
  readonly records: RecordPrivacy;
  readonly ties: ModelTies;
  /** The data set's name in the site's budget: the site and its file (never sent). */
  readonly dataset: string;
  /** Counts one task done (TaskRunner.completed). */
  done(): void;
  /** Writes a note in the site's audit log: a decision on record that did not itself leave the site. */
  note(type: string, detail: Record<string, unknown>): void;
}
