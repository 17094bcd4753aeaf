// What `accord simulate` (and the in-process API) can ask of a simulation.
import type { ExperimentConfig, ExperimentInput, PersonalizationConfig } from '../shared/config/schema.js';

export interface SimulateOptions {
  /** Shipped data set name. Default heart-disease (none with `config`). */
  dataset?: string | undefined;
  /**
   * Your own experiment config (a YAML file, as `accord submit` takes it), run on `sites` instead of
   * a shipped data set.
   */
  config?: string | undefined;
  /** With `config`: site name -> its data file (a CSV file; a folder of IDX files for data.format idx). At least 2. */
  sites?: Record<string, string> | undefined;
  /** Default: the config's rounds with `config`, else 20. */
  rounds?: number | undefined;
  out: string;
  /** Use this Redis instead of starting a private redis-server. */
  redisUrl?: string | undefined;
  /** Use this Redis Cluster (seed nodes HOST:PORT[,HOST:PORT...]) instead of starting a private redis-server. */
  redisCluster?: string | undefined;
  baselines: boolean;
  /** Federated analytics before training (data.analysis): analysis.json, .md and .html in out/. */
  analyze?: boolean | undefined;
  /** Which model goes to OUT/model/: the last committed round's (default) or the best-scoring round's. */
  export?: 'last' | 'best' | undefined;
  backend: string;
  seed?: number | undefined;
  /** Overrides of the experiment's train settings. */
  train?: Partial<ExperimentConfig['train']> | undefined;
  /** Secure aggregation settings (mode, dropout, ...). */
  secagg?: Partial<ExperimentConfig['secagg']> | undefined;
  /** Differential privacy settings. */
  dp?: ExperimentConfig['dp'] | undefined;
  /**
   * Strategy name (its paper's defaults, then the data set's tuned values, then the config's own settings
   * of it, then strategyParams); without it strategyParams apply to the config's strategy (else fedavg).
   */
  strategy?: string | undefined;
  strategyParams?: Record<string, number> | undefined;
  /**
   * The coordinator's bounds on one site's influence (clients.normBoundMultiple, maxWeightShare,
   * maxUpdateNorm); those not given keep their defaults.
   */
  bounds?:
    | Partial<Pick<ExperimentConfig['clients'], 'normBoundMultiple' | 'maxWeightShare' | 'maxUpdateNorm'>>
    | undefined;
  /** Simulated Byzantine sites and what they do (e.g. scale:-10). */
  byzantine?: { count: number; attack: string } | undefined;
  /** Partitioned data sets: logical sites, the share sampled each round, how data is split, the model. */
  clients?: number | undefined;
  fraction?: number | undefined;
  /** synthetic: Synthetic(alpha, beta) (defaults 1, 1). */
  partition?:
    | {
        scheme: 'iid' | 'dirichlet' | 'shards' | 'pathological' | 'synthetic';
        alpha?: number | undefined;
        beta?: number | undefined;
        /** pathological: labels each client holds. */
        labels?: number | undefined;
      }
    | undefined;
  model?: ExperimentInput['model'] | undefined;
  /** Worker processes hosting the logical sites of a partitioned data set. Default min(4, clients). */
  pool?: number | undefined;
  /** Stop once this accuracy is reached (central evaluation when the data set has it). */
  target?: number | undefined;
  /** Give up after this long. Default 30 minutes. */
  timeoutMs?: number | undefined;
  /** A site policy file (YAML) every simulated site applies, as `accord worker --policy` does. */
  sitePolicy?: string | undefined;
  /** Benchmarks only: simulated sites answer with a fixed delta instead of training. */
  stubTraining?: boolean | undefined;
  /** Simulated stragglers: this share of the sites (seeded) is `slowdown` times slower. */
  stragglers?: { fraction: number; slowdown: number } | undefined;
  /** Async mode (FedBuff): sites train continuously; a version every bufferSize updates. */
  async?:
    | { concurrency?: number | undefined; bufferSize?: number | undefined; stalenessExponent?: number | undefined }
    | undefined;
  /**
   * Personalization (experiment.personalization): the method, and settings over the data set's
   * defaults and the config's own. With `baselines`, fedper and fedrep also run the experiment
   * without it first, for the global model's column.
   */
  personalization?: ({ method: PersonalizationConfig['method'] } & Partial<PersonalizationConfig>) | undefined;
  /** Print progress (bar on a TTY, a line per round otherwise). Default true. */
  progress?: boolean | undefined;
}
