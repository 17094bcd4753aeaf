// What `accord worker` (or a test, or a simulated pool) configures on a site's worker.
import type * as tf from '@tensorflow/tfjs';
import type { Attack } from '../shared/attack.js';
import type { SitePartition } from '../shared/data/images.js';
import type { Logger } from '../shared/log/logger.js';
import type { BackendName } from '../shared/models/backend.js';
import type { Identity } from '../shared/trust/identity.js';
import type { Roster } from '../shared/trust/roster.js';
import type { TaskGate } from './gate.js';
import type { SitePolicy } from './policy.js';

export interface WorkerOptions {
  /** HOST:PORT of the coordinator's gRPC server, or several separated by commas (the worker fails over). */
  coordinator: string;
  /** This site's name, as the coordinator's tokens file knows it. */
  site: string;
  token: string;
  /** The site's local data file (CSV). It is read here and never sent. */
  dataFile: string;
  /** The data set's name in the site's declaration. Default "records" (a file) or "images" (a directory). */
  datasetName?: string | undefined;
  /** TF.js backend: auto (tensorflow > wasm > cpu), or one of them. Default auto. */
  backend?: BackendName | 'auto';
  /** Where the audit log of sent messages goes. Default: no file (still logged at debug level). */
  auditFile?: string;
  /**
   * Longest wait between reconnect attempts (doubling from 250 ms, with jitter). Short, so a restarted
   * coordinator gets its sites back within a second of listening (recovery under 5 s, bench/recovery.ts);
   * an attempt is one outbound TCP connection. Default 1000 ms.
   */
  maxBackoffMs?: number;
  /**
   * Where the few lines for people go: a coordinator out of reach for a few attempts (once per outage,
   * with the cause) and its return. The CLI writes them to stderr; default: the log only.
   */
  notify?: (line: string) => void;
  /** Simulation only: poison this site's updates (see shared/attack.ts). */
  attack?: Attack;
  /** Benchmarks only: no local training; a fixed delta of the model's size, so a round is all overhead. */
  stubTraining?: boolean;
  /** Simulation only: a straggler this many times slower (worker/tasks.ts). */
  slowdown?: number;
  /** Simulation pools: one gate shared by the process's sites, so their tasks run one at a time. */
  gate?: TaskGate;
  /** Simulation pools, with `gate`: the process's sites share one model object per architecture. */
  sharedModels?: Map<string, tf.LayersModel>;
  /** TLS to the coordinator (PEM): the CA that signed its certificate, and this site's own for mTLS. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
  /** Simulation only: this logical site holds this partition of the data set at `dataFile`. */
  partition?: SitePartition;
  /**
   * The site's long-term identity key (`accord identity`), which never leaves it: it signs the site's
   * round keys, survivor sets, approvals and audit heads. With `roster`, the site verifies its peers
   * and runs only experiments it approved. Without both, the site trusts the coordinator (and refuses
   * secure aggregation, which it could not protect).
   */
  identity?: Identity | undefined;
  /** The federation's roster as the consortium distributed it, pinned here (never taken from the coordinator). */
  roster?: Roster | undefined;
  /** Where approvals are kept (approved/ and pending/ manifests). Default: in memory only. */
  approvalsDir?: string | undefined;
  /** The site's own policy (see worker/policy.ts). Default: none (the experiment's settings decide). */
  policy?: SitePolicy | undefined;
  log?: Logger;
}
