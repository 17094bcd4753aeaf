// The site's own policy: what it will and will not send, whatever the coordinator asks. Read from a
// YAML file the site controls (`accord worker --policy FILE`); every task is checked against it before
// anything leaves, and a task that breaks it is refused with the rule it breaks.
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { type AppSignature, verifyAppSignature } from '../shared/apps/signature.js';
import { formatIssues } from '../shared/config/load.js';
import { ConfigError, PolicyError } from '../shared/errors/index.js';
import { appOfModel, modelLabel } from '../shared/models/topology.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import { parsePublicKey } from '../shared/trust/identity.js';
import { type Manifest, specOfTerms } from '../shared/trust/manifest.js';

export const sitePolicySchema = z
  .object({
    /** Send model updates (and column statistics) only masked by secure aggregation. Default false. */
    requireSecureAggregation: z.boolean().default(false),
    /** Train only under differential privacy with at least this noise multiplier. Default 0 (no requirement). */
    minNoiseMultiplier: z.number().min(0).default(0),
    /** Train only under differential privacy whose clip (the site's sensitivity) is at most this. */
    maxClip: z.number().positive().optional(),
    /** Train only with record-level DP (DP-SGD) whose noise multiplier is at least this. Default 0 (no requirement). */
    minRecordNoiseMultiplier: z.number().min(0).default(0),
    /** Train only in rounds with at least this many sites (a smaller round reveals more about each). Default 1. */
    minSitesPerRound: z.number().int().min(1).default(1),
    /** Models the site trains: zoo names (logreg, mlp, 2nn, cnn), or sha256:<hex> of a custom model (its topology). Default: any. */
    allowedModels: z.array(z.string().min(1)).min(1).optional(),
    /** Take part in experiments of at most this many rounds (each round releases more). */
    maxRounds: z.number().int().min(1).optional(),
    /**
     * Under distributed DP noise, the colluding sites the experiment's noise must tolerate at least.
     * Default 0.
     */
    minColludingSites: z.number().int().min(0).default(0),
    /**
     * Approve an experiment's manifest without a person when it keeps every rule above (the approval
     * is still signed with the site's identity key and logged). Default false: each experiment waits
     * for `accord approve`.
     */
    autoApprove: z.boolean().default(false),
    /**
     * The site's own data rules (worker/site-data.ts): they replace the experiment's, so nothing a
     * coordinator chooses (a missing-value list, a test fraction, a small-cell count) changes what
     * the site computes from its rows. Default: the schema's missing values, no zero-means-missing
     * column, the data format's default test fraction, a split keyed by the site's secret, cells of 5.
     */
    data: z
      .object({
        /** Cell values that mean "missing" at this site. */
        missing: z.array(z.string()).default(['?', 'NaN', 'nan', '']),
        /** Columns in which 0 means "not recorded" at this site. */
        zeroMeansMissing: z.array(z.string()).default([]),
        /** Share of rows held out for testing (default: the data format's default: csv 0.33, idx 0.1). */
        testFraction: z.number().gt(0).lt(1).optional(),
        /**
         * site: each row is in the test or training split by a keyed hash of its line, with the site's
         * secret (`splitKey`, else derived from its identity key): the same rows whatever the experiment
         * (its label, test fraction or seed). experiment: the experiment's stratified split (for
         * simulations, where one person plays every party).
         */
        split: z.enum(['site', 'experiment']).default('site'),
        /** The secret that keys the site split (at least 16 characters); default: derived from the identity key. */
        splitKey: z.string().min(16).optional(),
        /**
         * Small-cell floor: a column with fewer recorded values than this, or whose most common value
         * leaves fewer than this many others, is withheld from statistics. The experiment may raise it.
         */
        minCellCount: z.number().int().min(1).default(5),
      })
      .strict()
      .prefault({}),
    /** What metrics on the site's test rows may say (worker/metrics-release.ts). */
    metrics: z
      .object({
        /** Metrics are rounded to this many decimals. Default 2. */
        decimals: z.number().int().min(0).max(6).default(2),
        /** No metrics from fewer test rows than this (each row would move them too much). Default 10. */
        minTestRows: z.number().int().min(1).default(10),
      })
      .strict()
      .prefault({}),
    /**
     * Per data set, over every experiment (kept beside the approvals): how many times the site
     * releases column statistics, and on how many distinct models it releases metrics.
     */
    budget: z
      .object({
        /** Column-statistics releases. Default 50. */
        statistics: z.number().int().min(0).default(50),
        /** Distinct models evaluated on the test rows. Default 5,000. */
        evaluations: z.number().int().min(0).default(5000),
      })
      .strict()
      .prefault({}),
    /**
     * Record-level DP (DP-SGD): the largest epsilon the site's rows may reach, composed over every
     * experiment that trained on them; a round that would pass it is refused. Default: no cap.
     */
    maxRecordEpsilon: z.number().positive().optional(),
    /**
     * Apps: a researcher's code (shared/apps/interface.ts), which the site runs only in its sandbox
     * (worker/sandbox) and only when listed here. Default: no app runs.
     */
    apps: z
      .object({
        /**
         * The apps the site runs, by digest: sha256:<hex> (`accord app digest FOLDER` prints it; the
         * manifest names it), or "any" for any app of an experiment the site approves. Default: none.
         */
        allow: z.array(z.string().regex(/^(sha256:[0-9a-f]{64}|any)$/, 'sha256:<64 hex digits> or any')).default([]),
        /**
         * Reviewers whose signature of an app's digest suffices (`accord app sign`): their public keys as
         * rosters write them, ed25519:<base64>. Default: none.
         */
        signers: z
          .array(z.string().refine((k) => parsePublicKey(k) !== undefined, 'an ed25519:<base64> public key'))
          .default([]),
        /**
         * Run apps only cut off from the network (user and network namespaces). false runs them under
         * node's permission model alone where namespaces are unavailable, which leaves sockets open.
         * Default true.
         */
        requireNetworkIsolation: z.boolean().default(true),
        /**
         * Send the app's own metrics (app.<name>) with evaluations. They are numbers the app computes
         * from the test rows, so a malicious app could encode records in them. Default false.
         */
        releaseMetrics: z.boolean().default(false),
        /** Wall-clock bound of one app run (one task). Default 1800 s. */
        timeoutSeconds: z.number().positive().default(1800),
        /** V8 heap of one app run in MB (resident memory: twice this plus 256). Default 2048. */
        memoryMB: z.number().int().positive().default(2048),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type SitePolicy = z.infer<typeof sitePolicySchema>;

/** The policy in `file`; a missing file or a wrong key is an error naming it. */
export function loadSitePolicy(file: string): SitePolicy {
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`site policy ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const r = sitePolicySchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(`site policy ${file}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** What a task would send: a model update (train), metrics (evaluate), or column statistics. */
export type Sending = 'update' | 'metrics' | 'statistics';

/** The app an experiment's model comes from (digest and signatures), or undefined (shared/apps). */
export function appOf(spec: Pick<TaskSpec, 'model'>): AppRef | undefined {
  return appOfModel(spec.model);
}

type AppRef = { sha256: string; signatures?: AppSignature[] | undefined };

/**
 * Why `policy` refuses to run `app`, or undefined: it runs an app whose digest it lists (or "any"), or
 * one signed, over that digest, by a key it lists in apps.signers.
 */
export function appRefusal(policy: SitePolicy, app: AppRef): string | undefined {
  const { allow, signers } = policy.apps;
  if (allow.includes('any') || allow.includes(`sha256:${app.sha256}`)) return undefined;
  const trusted = new Set(signers.map((k) => parsePublicKey(k)?.toString('base64')));
  const signed = (app.signatures ?? []).some(
    (s) => trusted.has(parsePublicKey(s.signer)?.toString('base64')) && verifyAppSignature(s, app.sha256),
  );
  if (signed) return undefined;
  return `apps.allow: the experiment runs app sha256:${app.sha256}, which the site's policy neither lists nor finds signed by a key in apps.signers; add the digest to apps.allow (or its reviewer's key to apps.signers) to run it, sandboxed`;
}

/** The first rule of `policy` that the task breaks, or undefined when the site may run it. */
export function policyRefusal(policy: SitePolicy, spec: TaskSpec, sending: Sending): string | undefined {
  const app = appOf(spec);
  if (app) {
    const why = appRefusal(policy, app);
    if (why) return why;
  }
  // A custom model is allowed by its hash: sha256:<hex> (shared/models/topology.ts).
  const model = modelLabel(spec.model);
  if (policy.allowedModels && !policy.allowedModels.includes(model))
    return `allowedModels: the experiment trains "${model}", the site allows ${policy.allowedModels.join(', ')}`;
  if (policy.maxRounds !== undefined && spec.rounds > policy.maxRounds)
    return `maxRounds: the experiment runs ${spec.rounds} rounds, the site allows at most ${policy.maxRounds}`;
  if (sending === 'metrics') return undefined;
  if (policy.requireSecureAggregation && !spec.secure)
    return `requireSecureAggregation: the experiment would receive this site's ${sending} in clear; it needs secagg.mode secagg or secaggplus`;
  if (sending === 'statistics') return undefined;
  if (spec.roundSites < policy.minSitesPerRound)
    return `minSitesPerRound: the round has ${spec.roundSites} sites, the site requires at least ${policy.minSitesPerRound}`;
  if (policy.minNoiseMultiplier > 0 && spec.dpNoiseMultiplier < policy.minNoiseMultiplier)
    return `minNoiseMultiplier: the experiment's noise multiplier is ${spec.dpNoiseMultiplier}, the site requires at least ${policy.minNoiseMultiplier}`;
  const recordZ = spec.train.dpSgd?.noiseMultiplier ?? 0;
  if (policy.minRecordNoiseMultiplier > 0 && recordZ < policy.minRecordNoiseMultiplier)
    return `minRecordNoiseMultiplier: the experiment's record-level (DP-SGD) noise multiplier is ${recordZ}, the site requires at least ${policy.minRecordNoiseMultiplier}`;
  if (policy.maxClip !== undefined && (spec.dpClip === undefined || spec.dpClip > policy.maxClip))
    return `maxClip: the experiment's DP clip is ${spec.dpClip ?? 'unset (no differential privacy)'}, the site allows at most ${policy.maxClip}`;
  if (spec.secure && spec.dpNoiseMultiplier > 0 && spec.colludingSites < policy.minColludingSites)
    return `minColludingSites: the experiment's noise tolerates ${spec.colludingSites} colluding sites, the site requires ${policy.minColludingSites}`;
  return undefined;
}

/**
 * The first rule of `policy` that an experiment's terms break, or undefined: what the site checks
 * before it approves a manifest (the same rules as for tasks, read from the terms instead of a task).
 */
export function manifestRefusal(policy: SitePolicy, m: Manifest): string | undefined {
  return policyRefusal(policy, specOfTerms({ manifest: m }), 'update');
}

/** Throws a PolicyError when the task breaks the policy. */
export function enforcePolicy(policy: SitePolicy | undefined, spec: TaskSpec, sending: Sending): void {
  const why = policy && policyRefusal(policy, spec, sending);
  if (why) throw new PolicyError(`refused by the site's policy: ${why}`);
}
