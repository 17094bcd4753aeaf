// The record of one committed round, as `accord status`, `accord report` and the report read it.
// Stored as JSON in Redis and parsed with this schema when read, never cast.
import { z } from 'zod';

/** A round's secure-aggregation graph: neighbours and threshold, and what they were chosen for. */
export const graphParametersSchema = z.object({
  degree: z.union([z.number(), z.literal('all')]),
  threshold: z.number(),
  /** Derived from the targets below (Bell et al. 2020), not configured. */
  derived: z.boolean(),
  corruptFraction: z.number(),
  dropoutFraction: z.number(),
  securityBits: z.number(),
  /** log2 of the bounds on a privacy and a correctness failure, when derived. */
  privacyLog2: z.number().optional(),
  correctnessLog2: z.number().optional(),
});
export type GraphParameters = z.infer<typeof graphParametersSchema>;

/** Secure aggregation summary of a round. */
export const secureSummarySchema = z.object({
  mode: z.string(),
  selected: z.number(),
  advertised: z.number(),
  sharers: z.number(),
  survivors: z.number(),
  dropped: z.array(z.string()),
  stageMs: z.record(z.string(), z.number()),
  /** Neighbours k and threshold t of the round, and the targets they were chosen for. */
  parameters: graphParametersSchema,
});
export type SecureSummary = z.infer<typeof secureSummarySchema>;

/**
 * What the coordinator bounded in a round, whoever sent it: an update scaled down to the round's norm
 * bound (clients.normBoundMultiple x the median norm, or clients.maxUpdateNorm), or a site's weight
 * capped to its share of the round (clients.maxWeightShare).
 */
export const boundedEntrySchema = z.discriminatedUnion('what', [
  z.object({
    what: z.literal('update'),
    site: z.string(),
    /** The update's L2 norm as sent, and the norm it was folded at. */
    norm: z.number(),
    bound: z.number(),
    /** Which bound held: the multiple of the round's median norm, or the absolute clients.maxUpdateNorm. */
    rule: z.enum(['normBoundMultiple', 'maxUpdateNorm']),
    /** The round's (lower) median update norm, when the relative bound was on. */
    median: z.number().optional(),
    multiple: z.number().optional(),
  }),
  z.object({
    what: z.literal('weight'),
    site: z.string(),
    /** The examples the site declared for the round, and the weight it was folded with. */
    examples: z.number(),
    weight: z.number(),
    /** The largest share of the round's weight one site could have (maxWeightShare, or 1/sites). */
    share: z.number(),
  }),
]);
export type BoundedEntry = z.infer<typeof boundedEntrySchema>;

/** 1.2e31 -> "1.2e+31", 4.1 -> "4.1": three significant digits, no trailing zeros. */
const num = (x: number) => String(Number(x.toPrecision(3)));

/**
 * One bounded entry as a line of the events and of report.md, e.g. "round 2: update of site-3 bounded
 * (norm 1.2e+31 -> 4.1, 3 x the round's median norm 1.37)".
 */
export function describeBounded(label: string, e: BoundedEntry): string {
  return `${label}: ${boundedPart(e)}`;
}

/** A round's bounded entries on one line: "round 2: update of a bounded (...); weight of b capped (...)". */
export function describeBoundedRound(label: string, entries: readonly BoundedEntry[]): string {
  return `${label}: ${entries.map(boundedPart).join('; ')}`;
}

function boundedPart(e: BoundedEntry): string {
  if (e.what === 'update') {
    const why =
      e.rule === 'maxUpdateNorm'
        ? 'clients.maxUpdateNorm'
        : `${e.multiple ?? '?'} x the round's median norm ${num(e.median ?? NaN)}`;
    return `update of ${e.site} bounded (norm ${num(e.norm)} -> ${num(e.bound)}, ${why})`;
  }
  return `weight of ${e.site} capped (${num(e.examples)} -> ${num(e.weight)} examples, at most ${num(e.share * 100)}% of the round's weight)`;
}

// NaN and Infinity become null in JSON: a metric a site could not compute reads back as NaN.
const metric = z.union([z.number(), z.null()]).transform((v) => v ?? NaN);

export const siteRoundResultSchema = z.object({
  examples: z.number(),
  trainLoss: metric.optional(),
  /** Accuracy of the global model this round started from, on the site's test split. */
  startAccuracy: metric.optional(),
  /** Record-level DP (DP-SGD): the epsilon this site's rows have spent so far, by the site's own ledger. */
  recordEpsilon: z.number().optional(),
  bytesDown: z.number(),
  bytesUp: z.number(),
  durationMs: z.number(),
  backend: z.string(),
  /** Why the site trains on that backend: "first choice", "requested", or each one above it and why not. */
  backendReason: z.string().optional(),
});
export type SiteRoundResult = z.infer<typeof siteRoundResultSchema>;

/**
 * A 95% Wilson interval of an accuracy (shared/stats/wilson.ts), from `correct` predictions out of
 * `examples` test rows: the counts the sites sent, summed over the sites for a round's figure.
 */
export const accuracyIntervalSchema = z.object({
  lower: metric,
  upper: metric,
  correct: z.number(),
  examples: z.number(),
});
export type AccuracyInterval = z.infer<typeof accuracyIntervalSchema>;

/**
 * ROC AUC from the sites' binned score histograms with a 95% interval (shared/stats/binned-auc.ts):
 * the Mann-Whitney AUC of the binned scores, its Hanley-McNeil standard error, value +- 1.96 SE
 * clipped to [0, 1], and the rows and bins it came from.
 */
export const binnedAucSchema = z.object({
  value: metric,
  lower: metric,
  upper: metric,
  se: metric,
  positives: z.number(),
  negatives: z.number(),
  bins: z.number(),
});
export type BinnedAucRecord = z.infer<typeof binnedAucSchema>;

export const siteEvalResultSchema = z.object({
  accuracy: metric,
  loss: metric,
  examples: z.number(),
  /** ROC AUC, for binary labels. */
  auc: metric.optional(),
  /** 95% interval of the site's accuracy, where it sent its count of correct predictions. */
  accuracyInterval: accuracyIntervalSchema.optional(),
  /** For binary labels, AUC from the site's binned scores with a 95% interval, where it sent them. */
  aucInterval: binnedAucSchema.optional(),
  /** An app's own metrics (app.<name>), where the site's policy releases them (apps.releaseMetrics). */
  app: z.record(z.string(), metric).optional(),
  /** Personalization: the site's personal model on the same test rows (personal.<name>). */
  personal: z
    .object({
      accuracy: metric,
      loss: metric,
      auc: metric.optional(),
      accuracyInterval: accuracyIntervalSchema.optional(),
    })
    .optional(),
});
export type SiteEvalResult = z.infer<typeof siteEvalResultSchema>;

export const roundRecordSchema = z.object({
  round: z.number().int(),
  attempt: z.number().int(),
  committedAt: z.number(),
  participants: z.array(z.string()),
  failures: z.record(z.string(), z.string()),
  /** Example-weighted mean training loss. */
  trainLoss: metric,
  /** Evaluation of the committed model at each site. */
  siteEval: z.record(z.string(), siteEvalResultSchema),
  siteAccuracy: z.record(z.string(), metric),
  meanSiteAccuracy: metric,
  /** Personalization: each site's personal model's accuracy on its test rows, and their mean. */
  personalSiteAccuracy: z.record(z.string(), metric).optional(),
  meanPersonalSiteAccuracy: metric.optional(),
  /** Example-weighted accuracy and loss across sites (and AUC for binary labels). */
  accuracy: metric,
  loss: metric,
  auc: metric.optional(),
  /** 95% interval of the accuracy of the evaluating sites' test rows pooled (their counts summed). */
  accuracyInterval: accuracyIntervalSchema.optional(),
  /** For binary labels, AUC of the pooled test rows from the sites' summed score histograms, with a 95% interval. */
  aucInterval: binnedAucSchema.optional(),
  /** The coordinator's own held-out evaluation (eval.central). */
  central: z.object({ accuracy: metric, loss: metric, auc: metric.optional(), examples: z.number() }).optional(),
  /** Whether the sites evaluated this round (every eval.every rounds). */
  evaluated: z.boolean(),
  train: z.record(z.string(), siteRoundResultSchema),
  bytesDown: z.number(),
  bytesUp: z.number(),
  durations: z.object({ trainMs: z.number(), aggregateMs: z.number(), evaluateMs: z.number(), totalMs: z.number() }),
  /** TF.js backend each participating site trained with. */
  backends: z.record(z.string(), z.string()),
  /** Privacy spent after this round (differential privacy on). */
  privacy: z
    .object({
      epsilon: z.number(),
      delta: z.number(),
      noiseMultiplier: z.number(),
      /** Under secure aggregation, dropouts and colluders remove noise shares: z * sqrt((m - t) / (n - t)). */
      effectiveNoiseMultiplier: z.number(),
      /** q of the accountant (1: the seeded sample is public, so no amplification by subsampling). */
      samplingRate: z.number(),
      /** The share of live sites this round sampled. */
      sampledFraction: z.number(),
      clip: z.number(),
      /** Who added the noise: the coordinator (central) or the sites under secure aggregation (distributed). */
      noise: z.enum(['central', 'distributed']),
      /** Colluding sites the distributed noise tolerates. */
      colludingSites: z.number(),
    })
    .optional(),
  /** Secure aggregation summary of the round. */
  secure: secureSummarySchema.optional(),
  /** Sites whose updates a selecting robust strategy (Krum, Multi-Krum) kept. */
  robust: z.object({ selected: z.array(z.string()) }).optional(),
  /** Updates scaled down to the round's norm bound and weights capped to a site's share (none: absent). */
  bounded: z.array(boundedEntrySchema).optional(),
  strategy: z.string(),
  /**
   * Async mode (FedBuff): the model version each participant's update started from; the version this
   * record commits minus one is fresh, anything older was down-weighted for staleness.
   */
  baseVersions: z.record(z.string(), z.number()).optional(),
});
export type RoundRecord = z.infer<typeof roundRecordSchema>;
