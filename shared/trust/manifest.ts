// The manifest: everything a site agrees to when it joins an experiment, in one canonical document
// whose SHA-256 names the experiment on the wire. The coordinator builds it once when the experiment
// starts; each site approves it with its identity key and checks every request against it.
import { formatIssues } from '../config/load.js';
import { type ExperimentConfig, experimentSchema } from '../config/schema.js';
import { TrustError } from '../errors/index.js';
import { appOfModel, modelLabel } from '../models/topology.js';
import type { TaskSpec } from '../protocol/task-spec.js';
import { canonicalHash } from './canonical.js';

export const MANIFEST_FORMAT = 'accord-manifest/1';

/** The largest manifest a site reads: a coordinator cannot fill a site's memory or disk with offers. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/** Experiment ids as the coordinator makes them; nothing a terminal or a file name could misread. */
const EXPERIMENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** The experiment these terms are for: an approval never carries over to another experiment. */
  experimentId: string;
  /**
   * The experiment's settings as the coordinator runs them (defaults filled in): model, data columns,
   * label, missing values, training, rounds, strategy, DP, secure aggregation (mode, k, t, colluding
   * sites, corrupt fraction), minimum sites, evaluations.
   */
  config: ExperimentConfig;
  /** SHA-256 of a custom model's topology (canonical JSON), which travels in the config by value. */
  modelSha256?: string | undefined;
  /** The roster the experiment runs among, by hash (a site checks it against its pinned copy). */
  roster: { sha256: string; sites: number };
}

/** A manifest with its canonical text and hash, as it travels and as a site keeps it. */
export interface SignedTerms {
  manifest: Manifest;
  json: string;
  hash: string;
}

/** The manifest of experiment `experimentId`, under the roster of hash `rosterSha256`. */
export function buildManifest(
  experimentId: string,
  config: ExperimentConfig,
  roster: { sha256: string; sites: number },
): SignedTerms {
  // A custom model travels by value (shared/models/topology.ts): its hash is named beside the config.
  const modelSha256 = 'sha256' in config.model ? config.model.sha256 : undefined;
  // Statistics set later by federated scaling are outcomes, not terms: only hand-given ones are terms.
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    experimentId,
    config,
    ...(modelSha256 ? { modelSha256 } : {}),
    roster,
  };
  return termsOf(manifest);
}

export function termsOf(manifest: Manifest): SignedTerms {
  const json = JSON.stringify(manifest);
  return { manifest, json, hash: canonicalHash(JSON.parse(json)) };
}

/**
 * A manifest received as text: its hash is computed from the text itself (canonical form), then it
 * is validated; `expectedHash`, when given, must match. Errors name what is wrong.
 */
export function parseManifest(json: string, expectedHash?: string): SignedTerms {
  if (json.length > MAX_MANIFEST_BYTES)
    throw new TrustError('BAD_MANIFEST', `the manifest is ${json.length} characters, more than ${MAX_MANIFEST_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new TrustError('BAD_MANIFEST', 'the manifest is not JSON');
  }
  let hash: string;
  try {
    hash = canonicalHash(raw);
  } catch (e) {
    throw new TrustError('BAD_MANIFEST', `the manifest has no canonical form (${(e as Error).message})`);
  }
  if (expectedHash !== undefined && hash !== expectedHash)
    throw new TrustError(
      'BAD_MANIFEST',
      `the manifest hashes to ${hash.slice(0, 16)}, not ${expectedHash.slice(0, 16)}`,
    );
  const m = raw as Partial<Manifest> | null;
  if (!m || typeof m !== 'object' || m.format !== MANIFEST_FORMAT)
    throw new TrustError('BAD_MANIFEST', `the manifest's format is not ${MANIFEST_FORMAT}`);
  if (typeof m.experimentId !== 'string' || !EXPERIMENT_ID.test(m.experimentId))
    throw new TrustError(
      'BAD_MANIFEST',
      'the manifest names no experiment, or not as an id (letters, digits, _ . : -)',
    );
  if (!m.roster || typeof m.roster.sha256 !== 'string' || typeof m.roster.sites !== 'number')
    throw new TrustError('BAD_MANIFEST', 'the manifest names no roster');
  const cfg = experimentSchema.safeParse(m.config);
  if (!cfg.success) throw new TrustError('BAD_MANIFEST', `manifest config: ${formatIssues(cfg.error.issues)}`);
  // The parsed config must be the one that was hashed: defaults the sender left out would be terms
  // nobody saw.
  if (canonicalHash(cfg.data) !== canonicalHash(m.config))
    throw new TrustError('BAD_MANIFEST', 'the manifest config leaves settings to defaults; it must state every one');
  return { manifest: { ...(m as Manifest), config: cfg.data }, json, hash };
}

/**
 * The task spec the terms give for a round's train task (FedProx's mu included), with the manifest it
 * comes under: what an honest coordinator sends, and what a site's policy judges the terms by.
 */
export function specOfTerms(terms: Pick<SignedTerms, 'manifest'> & Partial<SignedTerms>): TaskSpec {
  const c = terms.manifest.config;
  return {
    data: c.data,
    model: c.model,
    train: c.strategy.name === 'fedprox' ? { ...c.train, proximalMu: c.strategy.mu } : c.train,
    dpClip: c.dp?.clip,
    secure: c.secagg.mode !== 'off',
    seed: c.seed,
    dpNoiseMultiplier: c.dp?.noise ?? 0,
    colludingSites: c.dp ? c.secagg.colludingSites : 0,
    roundSites: c.clients.min,
    rounds: c.rounds,
    manifestHash: terms.hash ?? '',
    manifestJson: terms.json ?? '',
    ...(c.personalization ? { personalization: c.personalization } : {}),
  };
}

/**
 * What a site releases under a manifest, one line each, for a person approving it (`accord approve`)
 * and for the site's log when its policy approves.
 */
export function releases(m: Manifest): string[] {
  return releaseLines(m).map(printable);
}

/** Control characters (terminal escapes, line breaks) shown as code points: the terms are coordinator text. */
function printable(s: string): string {
  return s.replace(/\p{Cc}/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

function releaseLines(m: Manifest): string[] {
  const c = m.config;
  const secure = c.secagg.mode !== 'off';
  const out: string[] = [];
  if (c.data.format === 'csv') {
    const d = c.data;
    out.push(
      `data: columns ${d.columns.join(', ')}; label ${d.label}${d.binarise ? ` (${d.binarise})` : ''}; dropped ${d.drop.join(', ') || 'none'}; missing values ${JSON.stringify(d.missing)}; test fraction ${d.testFraction} (a site with a policy applies its own missing values and split instead)`,
    );
  } else out.push(`data: ${c.data.format}, ${c.data.classes} classes, test fraction ${c.data.testFraction}`);
  out.push(
    `training: ${c.train.epochs} epoch(s), batch ${c.train.batchSize}, ${c.train.optimizer} at ${c.train.learningRate}, strategy ${c.strategy.name}, seed ${c.seed}, at most ${c.roundAttempts} attempts per round${m.modelSha256 ? `; model file sha256 ${m.modelSha256}` : ''}`,
  );
  const app = appOfModel(c.model);
  if (app)
    out.push(
      `code from the researcher runs at the site: app sha256:${app.sha256}${app.signatures?.length ? ` (signed by ${app.signatures.map((s) => s.signer).join(', ')})` : ''}, only if the site's policy allows it (apps.allow or apps.signers), and only in the site's sandbox: it reads the app and the site's prepared examples, writes a scratch folder, has no network where the machine allows namespaces; its own metrics are sent as app.<name> with each evaluation only if the policy says apps.releaseMetrics`,
    );
  out.push(`the site's declaration: data set name and row count, TF.js backend and device (at every connection)`);
  if (c.data.format === 'csv' && c.data.scaling === 'federated')
    out.push(
      secure
        ? `once: per numeric column of its training rows, the count, sum and sum of squares, masked by secure aggregation (only the total over all sites is revealed)`
        : `once: per numeric column of its training rows, the count, sum and sum of squares in clear (small cells withheld: fewer than ${c.data.minCellCount} values, or the site's floor if higher)`,
    );
  if (c.data.format === 'csv' && c.data.analysis)
    out.push(
      `once: a profile of all its rows for the study's analysis: per numeric column the recorded, missing and out-of-range counts, sum and sum of squares and a histogram of ${c.data.analysis.bins} bins over the declared range; per label class its count; ${secure ? 'masked by secure aggregation with the column statistics (only the total over all sites is revealed)' : 'in clear'}, every count below ${c.data.minCellCount} (or the site's floor if higher) withheld${c.data.analysis.only ? '; no training follows' : ''}`,
    );
  const delta = secure
    ? `masked by ${c.secagg.mode} (threshold ${c.secagg.threshold ?? 'derived'}, neighbours ${c.secagg.neighbours ?? 'derived'}, corrupt fraction ${c.secagg.corruptFraction}, colluding sites ${c.secagg.colludingSites}); the coordinator learns only the sum`
    : 'in clear to the coordinator';
  const dp = c.dp
    ? `, clipped to L2 norm ${c.dp.clip}${c.dp.noise > 0 ? ` with Gaussian noise multiplier ${c.dp.noise}${secure ? ' (each site adds its share)' : ' (added by the coordinator)'}` : ''}`
    : '';
  out.push(`up to ${c.rounds} rounds: a weight delta of the model (${modelLabel(c.model)}) ${delta}${dp}`);
  out.push(
    `with each delta: the training loss, the loss and accuracy before training, the training time${c.train.dpSgd ? ', the record-level epsilon' : ''}${secure ? '' : ', and the training row count'}`,
  );
  out.push(
    `every ${c.eval.every} round(s) and after the last: loss, accuracy (and AUC) of the candidate model on its test split, with the test row count (rounded, and only for models tied to this experiment, as the site's policy says)`,
  );
  if (c.train.dpSgd)
    out.push(
      `local training under DP-SGD: noise multiplier ${c.train.dpSgd.noiseMultiplier}, clip ${c.train.dpSgd.clip}`,
    );
  out.push(
    `rounds need at least ${c.clients.min} sites; the roster is ${m.roster.sha256.slice(0, 16)} (${m.roster.sites} sites)`,
  );
  return out;
}
