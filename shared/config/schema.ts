// The experiment config: one zod schema, so every error names the field that is wrong.
import { z } from 'zod';
import { appSignatureSchema } from '../apps/signature.js';
import { canonicalHash } from '../trust/canonical.js';

const binariseRule = z
  .string()
  .regex(/^\s*(>=|<=|==|!=|>|<)\s*-?\d+(\.\d+)?\s*$/, 'expected a rule such as "> 0"')
  .describe('Turns the label into 0/1: label OP value -> 1, else 0.');

export const csvDataSchema = z
  .object({
    /** Tabular rows (the default). */
    format: z.literal('csv'),
    /** True when the first line names the columns (it must then match `columns`). */
    header: z.boolean().default(false),
    /** Column names in file order: every site must share this schema. */
    columns: z.array(z.string().min(1)).min(2),
    /** The label column. */
    label: z.string().min(1),
    /** Rule that binarises the label, e.g. "> 0"; without it labels must be 0..classes-1. */
    binarise: binariseRule.optional(),
    /** Number of classes when not binarised. */
    classes: z.number().int().min(2).optional(),
    /** Columns to ignore. */
    drop: z.array(z.string()).default([]),
    /** Categorical columns and their categories (from the schema, never from pooled data); one-hot encoded. */
    categorical: z.record(z.string(), z.array(z.number())).default({}),
    /** Cell values that mean "missing". */
    missing: z.array(z.string()).default(['?', 'NaN', 'nan', '']),
    /** Columns where 0 means "not recorded" (e.g. cholesterol at some centres). */
    zeroMeansMissing: z.array(z.string()).default([]),
    /** How a site fills missing numeric values, from its own training rows. */
    impute: z.enum(['mean', 'median', 'zero']).default('mean'),
    /**
     * standard: each site standardises with statistics of its own training rows; federated: with
     * global statistics the coordinator sums from every site's per-column counts and sums (never rows);
     * none: raw values.
     */
    scaling: z.enum(['standard', 'federated', 'none']).default('standard'),
    /**
     * Federated scaling without secure aggregation: a site does not send the sums of a column in which
     * it has fewer than this many recorded values (they would give those patients' values away).
     * Under secure aggregation the coordinator sees only the sums over all sites.
     */
    minCellCount: z.number().int().min(1).default(5),
    /** Global column statistics (set by the coordinator for federated scaling, or given by hand). */
    stats: z
      .record(z.string(), z.object({ fill: z.number(), mean: z.number(), std: z.number().positive() }).strict())
      .optional(),
    /**
     * Declared value ranges of numeric columns, column -> [min, max] (part of the manifest sites
     * approve). Federated scaling: each site clamps its values into them before summing, and the
     * coordinator refuses a site's column statistics that no values within them could give
     * (shared/data/stats-check.ts), so a lying site moves a mean or a deviation only within them.
     */
    ranges: z.record(z.string(), z.tuple([z.number(), z.number()])).optional(),
    /**
     * Federated analytics (shared/analysis): before the first round each site also sends a profile of
     * its rows: per numeric column the recorded, missing and out-of-range counts, sum and sum of
     * squares, and a histogram over the declared range; per label class its count. Every count below
     * the floor (minCellCount, or the site's own if higher) is withheld. The coordinator writes
     * analysis.json, .md and .html (per site and pooled, drift, flags); under secure aggregation the
     * profiles are masked with the column sums, and only their total (pooled figures) is revealed.
     */
    analysis: z
      .object({
        /** Equal-width histogram bins over each column's declared range. Default 10. */
        bins: z.number().int().min(2).max(100).default(10),
        /** Profile the sites and stop: no training (accord analyze). Default false. */
        only: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /**
     * A published benchmark's preprocessing in place of impute, scaling, testFraction and splitSeed.
     * flamby: FLamby's Fed-Heart-Disease (docs/flamby.md): rows with a missing value dropped, FLamby's
     * fixed per-centre train/test split, every input standardised with its centre's training rows.
     * For the four heart-disease centres only (data/heart-disease/flamby-split.json). Default none.
     */
    preprocessing: z.enum(['flamby']).optional(),
    /** Share of each site's rows held out for testing (stratified by label). */
    testFraction: z.number().gt(0).lt(1).default(0.33),
    /** Seed of the fixed train/test split. */
    splitSeed: z.number().int().default(42),
  })
  .strict()
  .superRefine((d, ctx) => {
    for (const [c, r] of Object.entries(d.ranges ?? {})) {
      const why = !d.columns.includes(c)
        ? 'is not one of data.columns'
        : c === d.label
          ? 'is the label'
          : d.drop.includes(c)
            ? 'is dropped (data.drop)'
            : d.categorical[c]
              ? 'is categorical'
              : r[0] > r[1]
                ? `has min ${r[0]} above max ${r[1]}`
                : undefined;
      if (why)
        ctx.addIssue({
          code: 'custom',
          path: ['ranges', c],
          message: `column "${c}" ${why} (ranges are [min, max] of numeric columns)`,
        });
    }
  });

export const idxDataSchema = z
  .object({
    /**
     * Images in IDX files (MNIST format, gzipped or not): DIR/train-images-idx3-ubyte[.gz] and
     * train-labels-idx1-ubyte[.gz]; or, in a folder without them, image files DIR/<class>/<name>.png|.jpg.
     */
    format: z.literal('idx'),
    /** Number of classes. */
    classes: z.number().int().min(2).default(10),
    /** Class names, in label order: an image folder's class folders carry these names (default: 0..classes-1). */
    labels: z.array(z.string().min(1)).optional(),
    /** Height, width, channels of one image. */
    imageShape: z
      .tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()])
      .default([28, 28, 1]),
    /** Share of each site's images held out as its local test set (stratified by label). */
    testFraction: z.number().gt(0).lt(1).default(0.1),
    /** Seed of the fixed train/test split. */
    splitSeed: z.number().int().default(42),
  })
  .strict();

export const syntheticDataSchema = z
  .object({
    /**
     * Synthetic(alpha, beta) (FedProx, LEAF): each simulated site generates its own rows from the seed
     * and its index (shared/data/synthetic.ts); simulation only.
     */
    format: z.literal('synthetic'),
    /** Input dimensions (FedProx: 60). */
    dimensions: z.number().int().positive().default(60),
    /** Classes (FedProx: 10). */
    classes: z.number().int().min(2).default(10),
    /** Share of each site's rows held out as its local test set (stratified by label). */
    testFraction: z.number().gt(0).lt(1).default(0.2),
    /** Seed of the fixed train/test split. */
    splitSeed: z.number().int().default(42),
  })
  .strict();

/** The data section: `format` selects the adapter (csv when omitted). */
export const dataSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !('format' in v) ? { ...v, format: 'csv' } : v),
  z.discriminatedUnion('format', [csvDataSchema, idxDataSchema, syntheticDataSchema]),
);

export const modelSchema = z.union([
  z
    .object({
      zoo: z.literal('logreg'),
      /**
       * Initial weights: glorot (Glorot-uniform kernel, zero bias; the default) or pytorch (PyTorch's
       * nn.Linear: kernel and bias uniform in +-1/sqrt(inputs)), to compare with PyTorch benchmarks.
       */
      init: z.enum(['glorot', 'pytorch']).optional(),
    })
    .strict(),
  /** McMahan et al. 2017's 2NN: two hidden layers of 200 ReLU units. */
  z.object({ zoo: z.literal('2nn') }).strict(),
  /** McMahan et al. 2017's CNN: 5x5 conv 32, 2x2 max pool, 5x5 conv 64, 2x2 max pool, dense 512, softmax. */
  z.object({ zoo: z.literal('cnn') }).strict(),
  z.object({ zoo: z.literal('mlp'), hidden: z.array(z.number().int().positive()).min(1).default([32]) }).strict(),
  /** A TF.js layers model.json, read where the experiment is submitted (shared/models/topology.ts). */
  z.object({ path: z.string().min(1) }).strict(),
  /**
   * An app: a folder whose app.mjs builds the model and may bring preprocessing, loss, metrics and its
   * own training step (shared/apps/interface.ts). Read where the experiment is submitted; it travels as
   * the topology below plus the app's digest, and its code is served to the sites by the coordinator.
   */
  z.object({ app: z.string().min(1) }).strict(),
  /**
   * A custom model by value, as it travels: its TF.js layers topology and that topology's SHA-256
   * (canonical JSON), which sites approve and policies may allow. Checked: the hash must match.
   */
  z
    .object({
      topology: z.record(z.string(), z.unknown()),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** The app the model came from: its digest (shared/apps/bundle.ts), which sites fetch and run sandboxed. */
      app: z
        .object({
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          /** Reviewers' signatures of the digest (shared/apps/signature.ts), for policies that trust signers. */
          signatures: z.array(appSignatureSchema).max(16).optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((m) => canonicalHash(m.topology) === m.sha256, {
      message: 'sha256 is not the hash of the topology',
      path: ['sha256'],
    }),
]);

/** Aggregation strategies with their papers' defaults. */
export const strategySchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('fedavg') }).strict(),
  /** Li et al. 2020: proximal term mu/2 ||w - w_global||^2 in each site's loss. */
  z.object({ name: z.literal('fedprox'), mu: z.number().min(0).default(0.01) }).strict(),
  /** Hsu et al. 2019: server momentum. */
  z
    .object({
      name: z.literal('fedavgm'),
      serverLearningRate: z.number().positive().default(1),
      momentum: z.number().min(0).lt(1).default(0.9),
    })
    .strict(),
  /** Reddi et al. 2021 (defaults as in Flower's implementations of the paper). */
  z
    .object({
      name: z.literal('fedadam'),
      eta: z.number().positive().default(0.1),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.99),
      tau: z.number().positive().default(1e-3),
    })
    .strict(),
  z
    .object({
      name: z.literal('fedyogi'),
      eta: z.number().positive().default(0.01),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.99),
      tau: z.number().positive().default(1e-3),
    })
    .strict(),
  z
    .object({
      name: z.literal('fedadagrad'),
      eta: z.number().positive().default(0.1),
      beta1: z.number().min(0).lt(1).default(0.9),
      tau: z.number().positive().default(1e-9),
    })
    .strict(),
  /** Blanchard et al. 2017: tolerate f Byzantine sites. */
  z.object({ name: z.literal('krum'), f: z.number().int().min(0).default(1) }).strict(),
  z
    .object({
      name: z.literal('multi-krum'),
      f: z.number().int().min(0).default(1),
      m: z.number().int().min(1).optional(),
    })
    .strict(),
  /** Yin et al. 2018: cut the beta fraction at each end of every coordinate. */
  z.object({ name: z.literal('trimmed-mean'), beta: z.number().min(0).lt(0.5).default(0.25) }).strict(),
  z.object({ name: z.literal('median') }).strict(),
]);
export type StrategyName = z.infer<typeof strategySchema>['name'];

export const SECAGG_STAGES = [
  'advertise-keys',
  'share-keys',
  'masked-input',
  'consistency-check',
  'unmasking',
] as const;
export type SecAggStage = (typeof SECAGG_STAGES)[number];

export const secaggSchema = z
  .object({
    /** off, secagg (every pair of clients), or secaggplus (k neighbours on a random regular graph). */
    mode: z.enum(['off', 'secagg', 'secaggplus']).default('off'),
    /**
     * Shares needed to rebuild a client's secrets: a fraction of its neighbourhood when < 1, else a
     * count. It must exceed half the neighbourhood (fraction > 0.5): otherwise dropouts that split the
     * graph let two groups each rebuild a different secret of one client, and its input is exposed.
     */
    threshold: z
      .number()
      .positive()
      .refine(
        (t) => t >= 1 || t > 0.5,
        'a fraction must be above 0.5 (t > k/2), so no two disjoint groups can each rebuild a secret',
      )
      .optional(),
    /**
     * When `neighbours` and `threshold` are not given they are derived each round (Bell et al. 2020)
     * so that, with this fraction of corrupt clients and this dropout rate, an honest client's secrets
     * stay hidden except with probability 2^-securityBits and a round completes except with 2^-20.
     */
    corruptFraction: z.number().min(0).lt(0.5).default(0.05),
    dropoutFraction: z.number().min(0).lt(1).default(0.1),
    securityBits: z.number().int().min(8).max(128).default(40),
    /**
     * Neighbours per client: 'all' (default for secagg) or a count (default about 2 log2 n for
     * secaggplus). At most 255: secrets are shared over GF(256).
     */
    neighbours: z.union([z.literal('all'), z.number().int().min(2).max(255)]).optional(),
    /**
     * Sites that may collude with the coordinator (the threat model's c). Thresholds must exceed
     * (neighbours + c) / 2, so that a coordinator showing different survivor sets to different sites
     * cannot gather both secrets of an honest one; and with differential privacy each site's noise
     * share is scaled so the other sites' shares alone give the reported epsilon. Default 0.
     */
    colludingSites: z.number().int().min(0).default(0),
    /** Coordinates are clipped to [-clip, clip] before quantisation. */
    clip: z.number().positive().default(4),
    /** Bits per client's quantised value (the sum of all clients still fits in 32 bits). */
    bits: z.number().int().min(2).max(32).default(32),
    /** Deadline of each protocol stage. */
    stageTimeoutMs: z.number().int().positive().default(60_000),
    /** Simulation only: this many clients vanish after the given stage each round, to show recovery. */
    dropout: z
      .object({ after: z.enum(['advertise-keys', 'share-keys', 'masked-input']), count: z.number().int().min(1) })
      .strict()
      .optional(),
  })
  .strict();

export const dpSchema = z
  .object({
    /** Noise multiplier z: the sum of clipped deltas gets N(0, (z * clip)^2). 0 turns noise off. */
    noise: z.number().min(0),
    /** L2 norm bound of each site's delta. */
    clip: z.number().positive(),
    /** delta of the reported (epsilon, delta). */
    delta: z.number().gt(0).lt(1).default(1e-5),
    /** Stop the experiment before a round would take epsilon above this. */
    maxEpsilon: z.number().positive().optional(),
  })
  .strict();

/** Local training at each site. */
export const trainSchema = z
  .object({
    epochs: z.number().int().min(1).default(1),
    batchSize: z.number().int().min(1).default(16),
    learningRate: z.number().positive().default(0.05),
    optimizer: z.enum(['sgd', 'adam']).default('sgd'),
    /** FedProx's mu (set by the fedprox strategy; 0 = plain local training). */
    proximalMu: z.number().min(0).default(0),
    /**
     * Restricted softmax (FedRS, Li & Zhan 2021, with alpha = 0): a site's loss normalises the
     * predicted probabilities over the classes present in its own training data, so a site that
     * holds two classes does not push the other classes' outputs down. Under label skew this keeps
     * a round's average from forgetting the classes its sampled sites lack. No effect on a site
     * holding every class, nor on binary models. Default false.
     */
    restrictedSoftmax: z.boolean().default(false),
    /**
     * Record-level differential privacy at each site (DP-SGD, Abadi et al. 2016): every step samples
     * each training row with probability batchSize / rows (Poisson, from a cryptographic source),
     * clips each row's gradient to L2 norm `clip`, and adds N(0, (noiseMultiplier * clip)^2) to their
     * sum. Each site accounts for its own rows (RDP, at `delta`) and reports its epsilon. Default off.
     */
    dpSgd: z
      .object({
        noiseMultiplier: z.number().positive(),
        clip: z.number().positive(),
        delta: z.number().gt(0).lt(1).default(1e-5),
      })
      .strict()
      .optional(),
    /**
     * Local mini-batch updates per round, in place of `epochs` (FLamby's num_updates): the shuffled
     * order is walked from the start and reshuffled after each pass, so a site of few rows makes as
     * many updates as a large one. Not with dpSgd (its accounting counts epochs). Default: epochs.
     */
    localSteps: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .refine((t) => !(t.localSteps && t.dpSgd), {
    message: 'localSteps and dpSgd cannot be combined: DP-SGD accounts its steps by epochs',
    path: ['localSteps'],
  });

/**
 * Personalization: each site ends with a model of its own (docs/personalization.md).
 * - fedper (Arivazhagan et al. 2019): the head (`head`) stays at the site and never leaves it; the
 *   body is trained with it and aggregated.
 * - fedrep (Collins et al. 2021): as fedper, but each round trains the head first (`headEpochs`, body
 *   frozen), then the body (`train.epochs`, head frozen).
 * - ditto (Li et al. 2021): the global model is trained as without personalization; each site also
 *   keeps a personal model, trained each round for as long, regularised toward the global one by
 *   lambda/2 ||v - w||^2.
 * - finetune: the global model, trained locally for `fineTuneEpochs` at each evaluation.
 * Personal models stay at the site (exported there); only their test metrics are sent.
 */
export const personalizationSchema = z
  .object({
    method: z.enum(['fedper', 'fedrep', 'ditto', 'finetune']),
    /**
     * fedper and fedrep: the part kept at the site: the last N layers that have weights (default 1,
     * the output layer), or `bias`, the output layer's bias alone (a site's own intercept: for a
     * model whose only layer is the output layer, such as logreg).
     */
    head: z.union([z.number().int().min(1), z.literal('bias')]).default(1),
    /** fedrep: epochs of head training (body frozen) before the body's. Default 1. */
    headEpochs: z.number().int().min(1).default(1),
    /** ditto: lambda, the pull of the personal model toward the global one. Default 0.1. */
    lambda: z.number().min(0).default(0.1),
    /** finetune: local epochs from the global model. Default 1. */
    fineTuneEpochs: z.number().int().min(1).default(1),
  })
  .strict();

export const experimentSchema = z
  .object({
    /** Human name of the experiment. */
    name: z.string().min(1).default('experiment'),
    model: modelSchema.default({ zoo: 'logreg' }),
    data: dataSchema,
    /** Number of training rounds. */
    rounds: z.number().int().min(1).max(100_000).default(10),
    /**
     * sync (the default when absent): rounds of sampled sites. async: FedBuff (Nguyen et al. 2022),
     * sites train continuously and a new model version is committed every async.bufferSize updates;
     * `rounds` is then the number of versions.
     */
    mode: z.enum(['sync', 'async']).optional(),
    async: z
      .object({
        /** Sites training at once (default clients.min). */
        concurrency: z.number().int().min(1).optional(),
        /** Updates folded into each new model version (K). */
        bufferSize: z.number().int().min(1).default(5),
        /** a in s(tau) = (1 + tau)^-a, the weight of an update tau versions stale. */
        stalenessExponent: z.number().min(0).default(0.5),
      })
      .strict()
      .optional(),
    clients: z
      .object({
        /** Workers that must be connected before a round starts. */
        min: z.number().int().min(1).default(2),
        /** Share of connected workers sampled each round. */
        fraction: z.number().gt(0).max(1).default(1),
        /** Successful updates needed to commit a round (default: min). */
        quorum: z.number().int().min(1).optional(),
        /**
         * Server-side bound on the L2 norm of one site's update: a larger update is scaled down to it
         * before aggregation (linear strategies without secure aggregation, which hides single updates).
         */
        maxUpdateNorm: z.number().positive().optional(),
        /**
         * Bound on one site's update relative to the round: an update whose L2 norm is above this multiple
         * of the round's median update norm (the lower median of the updates received, so one site of two,
         * or any minority, cannot raise it) is scaled down to that norm before aggregation. With
         * maxUpdateNorm the smaller bound holds. Linear strategies without secure aggregation (which hides
         * single updates; secagg.clip bounds each coordinate at the site), synchronous rounds and async
         * versions; not under dp, whose clip bounds every update. 0 turns it off. Default 3.
         */
        normBoundMultiple: z.number().min(0).default(5),
        /**
         * The largest share of a round's total weight (training examples) that one site may have: larger
         * weights are capped by water-filling, so a site declaring the row ceiling cannot become the
         * average. When a round has fewer than 1 / maxWeightShare sites, each may have at most
         * 1 / sites (equal weights at most). Linear strategies without secure aggregation (a site's
         * weight travels masked there); under dp every site weighs the same anyway. 1 turns it off.
         * Default 0.5.
         */
        maxWeightShare: z.number().gt(0).max(1).default(0.5),
      })
      .strict()
      .default({ min: 2, fraction: 1, normBoundMultiple: 5, maxWeightShare: 0.5 }),
    train: trainSchema.default({
      epochs: 1,
      batchSize: 16,
      learningRate: 0.05,
      optimizer: 'sgd',
      proximalMu: 0,
      restrictedSoftmax: false,
    }),
    strategy: strategySchema.default({ name: 'fedavg' }),
    eval: z
      .object({
        /** Federated evaluation every this many rounds (and always after the last one). */
        every: z.number().int().min(1).default(1),
        /** A held-out data set the coordinator owns (CSV file, or IDX directory with t10k files). */
        central: z.string().min(1).optional(),
        /** Stop once this accuracy is reached (central if configured, else federated). */
        target: z.number().gt(0).max(1).optional(),
      })
      .strict()
      .default({ every: 1 }),
    secagg: secaggSchema.default({
      mode: 'off',
      colludingSites: 0,
      corruptFraction: 0.05,
      dropoutFraction: 0.1,
      securityBits: 40,
      clip: 4,
      bits: 32,
      stageTimeoutMs: 60_000,
    }),
    dp: dpSchema.optional(),
    /** Each site's own model beside the global one (personalizationSchema). Default: none. */
    personalization: personalizationSchema.optional(),
    /** Seed of model initialisation, client sampling and local shuffling. */
    seed: z.number().int().default(1),
    timeouts: z
      .object({
        /** A train or evaluate task fails after this long. */
        taskMs: z.number().int().positive().default(120_000),
        /** How long a round waits for `clients.min` workers before failing the experiment. */
        selectMs: z.number().int().positive().default(600_000),
      })
      .strict()
      .default({ taskMs: 120_000, selectMs: 600_000 }),
    /** Attempts per round before the experiment fails. */
    roundAttempts: z.number().int().min(1).default(3),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.data.format === 'csv' && !c.data.columns.includes(c.data.label))
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'label'],
        message: `"${c.data.label}" is not one of data.columns`,
      });
    if (c.data.format === 'csv' && !c.data.binarise && !c.data.classes)
      ctx.addIssue({ code: 'custom', path: ['data', 'classes'], message: 'give data.binarise or data.classes' });
    if (c.data.format === 'idx' && c.data.labels && new Set(c.data.labels).size !== c.data.classes)
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'labels'],
        message: `needs ${c.data.classes} distinct names, one per class (data.classes)`,
      });
    if (c.secagg.mode !== 'off' && ROBUST_STRATEGIES.includes(c.strategy.name))
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'name'],
        message: `${c.strategy.name} needs every site's individual update, which secure aggregation hides: use a linear strategy (fedavg) or set secagg.mode: off`,
      });
    if (c.dp && ROBUST_STRATEGIES.includes(c.strategy.name))
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'name'],
        message: `${c.strategy.name} cannot carry differential privacy (dp): it picks or combines individual updates without clipping their sum or adding noise, so no epsilon would hold; use fedavg (or another linear strategy) with dp, or drop dp`,
      });
    if (c.secagg.mode !== 'off' && c.secagg.colludingSites >= c.clients.min)
      ctx.addIssue({
        code: 'custom',
        path: ['secagg', 'colludingSites'],
        message: `must be below clients.min (${c.clients.min}): a round needs sites outside the colluding group`,
      });
    if (
      c.secagg.mode !== 'off' &&
      typeof c.secagg.neighbours === 'number' &&
      c.secagg.threshold !== undefined &&
      c.secagg.threshold >= 1 &&
      c.secagg.threshold <= (c.secagg.neighbours + c.secagg.colludingSites) / 2
    )
      ctx.addIssue({
        code: 'custom',
        path: ['secagg', 'threshold'],
        message: `${c.secagg.threshold} shares of ${c.secagg.neighbours} neighbours is not above (k + colludingSites) / 2 = ${(c.secagg.neighbours + c.secagg.colludingSites) / 2}`,
      });
    if (c.secagg.mode === 'secagg' && c.clients.min > 256)
      ctx.addIssue({
        code: 'custom',
        path: ['secagg', 'mode'],
        message: `classic secagg shares each secret with every other client, at most 255 (GF(256)); ${c.clients.min} clients need secaggplus`,
      });
    if (c.secagg.mode !== 'off' && c.clients.min < 3)
      ctx.addIssue({
        code: 'custom',
        path: ['clients', 'min'],
        message: 'secure aggregation needs at least 3 clients per round',
      });
    if (c.mode === 'async') {
      const why =
        c.secagg.mode !== 'off'
          ? 'secure aggregation sums a fixed cohort per round (set secagg.mode: off)'
          : c.dp
            ? 'the privacy accounting assumes sampled rounds (drop dp)'
            : ROBUST_STRATEGIES.includes(c.strategy.name)
              ? `${c.strategy.name} is not a weighted sum of updates (use a linear strategy such as fedavg)`
              : undefined;
      if (why) ctx.addIssue({ code: 'custom', path: ['mode'], message: `async mode cannot run here: ${why}` });
      const k = c.async?.bufferSize ?? 5;
      const concurrency = c.async?.concurrency ?? c.clients.min;
      if (k > concurrency)
        ctx.addIssue({
          code: 'custom',
          path: ['async', 'bufferSize'],
          message: `${k} updates per version cannot arrive from ${concurrency} sites training at once (async.concurrency)`,
        });
    }
    if (c.async && c.mode !== 'async')
      ctx.addIssue({ code: 'custom', path: ['async'], message: 'async settings need mode: async' });
    if (c.personalization) {
      const why =
        c.mode === 'async'
          ? 'it runs in synchronous rounds (drop mode: async)'
          : 'app' in c.model
            ? 'an app trains with its own loop in the sandbox, which cannot keep a head or a personal model (use a zoo model or a model.json)'
            : undefined;
      if (why) ctx.addIssue({ code: 'custom', path: ['personalization'], message: `personalization: ${why}` });
    }
    if (c.clients.quorum !== undefined && c.clients.quorum > c.clients.min)
      ctx.addIssue({ code: 'custom', path: ['clients', 'quorum'], message: 'must not exceed clients.min' });
  });

/** Strategies that need each update on its own; they cannot run under secure aggregation. */
export const ROBUST_STRATEGIES: readonly string[] = ['krum', 'multi-krum', 'trimmed-mean', 'median'];

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type DataConfig = z.infer<typeof dataSchema>;
export type CsvDataConfig = z.infer<typeof csvDataSchema>;
export type IdxDataConfig = z.infer<typeof idxDataSchema>;
export type SyntheticDataConfig = z.infer<typeof syntheticDataSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type TrainConfig = z.infer<typeof trainSchema>;
export type PersonalizationConfig = z.infer<typeof personalizationSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;
