// What the site decides about its own data, whatever an experiment says: which cells are missing,
// which rows are held out for testing (keyed by the site's secret, the same rows in every experiment),
// and the smallest cell it releases. A coordinator that moves a test fraction, a label, a seed or a
// missing-value list between two experiments then gets the same numbers twice (differencing gives
// nothing) and the same errors twice (no oracle on a cell's content).
import { createHash } from 'node:crypto';
import { csvDataSchema, type DataConfig, idxDataSchema } from '../shared/config/schema.js';
import type { SiteSplit } from '../shared/data/split.js';
import { type Identity, signAs } from '../shared/trust/identity.js';
import type { SitePolicy } from './policy.js';

export type SiteDataRules = SitePolicy['data'];

/** The data settings a task runs under at this site, and the split that goes with them. */
export interface SiteDataView {
  data: DataConfig;
  /** The site's own split; undefined: the experiment's (trusting mode, or `split: experiment`). */
  split: SiteSplit | undefined;
}

/**
 * The secret keying the site's split: `splitKey` from the policy, else one derived from the identity
 * key (an Ed25519 signature is deterministic, so the same key gives the same secret in every process,
 * and without the private key no one can compute it).
 */
export function splitKeyOf(rules: SiteDataRules, identity: Identity | undefined): Buffer | undefined {
  if (rules.splitKey) return createHash('sha256').update(`accord/split-key/${rules.splitKey}`).digest();
  if (!identity) return undefined;
  return createHash('sha256')
    .update(signAs(identity, 'accord/split-key/v1', 'train/test split'))
    .digest();
}

/**
 * The experiment's data settings with the site's rules in place of the coordinator's. Without rules
 * (a worker with neither identity nor policy: trusting mode) the experiment's settings stand.
 */
export function siteDataView(
  data: DataConfig,
  rules: SiteDataRules | undefined,
  key: Buffer | undefined,
): SiteDataView {
  if (!rules || data.format === 'synthetic') return { data, split: undefined };
  if (data.format === 'idx') {
    if (rules.split === 'experiment' || !key) return { data, split: undefined };
    const testFraction = rules.testFraction ?? idxDataSchema.shape.testFraction.parse(undefined);
    return { data: { ...data, testFraction }, split: { key, testFraction } };
  }
  const own = rules.split === 'site' && key !== undefined;
  const testFraction = own
    ? (rules.testFraction ?? csvDataSchema.shape.testFraction.parse(undefined))
    : data.testFraction;
  return {
    data: {
      ...data,
      missing: rules.missing,
      zeroMeansMissing: rules.zeroMeansMissing,
      // The experiment may ask for larger cells, never smaller ones.
      minCellCount: Math.max(rules.minCellCount, data.minCellCount),
      testFraction,
    },
    split: own ? { key, testFraction } : undefined,
  };
}

/** Where the experiment's data settings differ from the site's (logged: the site's apply). */
export function overridden(data: DataConfig, view: DataConfig): string[] {
  if (data.format !== 'csv' || view.format !== 'csv') return [];
  const out: string[] = [];
  if (JSON.stringify(data.missing) !== JSON.stringify(view.missing)) out.push('missing');
  if (JSON.stringify(data.zeroMeansMissing) !== JSON.stringify(view.zeroMeansMissing)) out.push('zeroMeansMissing');
  if (data.minCellCount !== view.minCellCount) out.push('minCellCount');
  if (data.testFraction !== view.testFraction) out.push('testFraction');
  return out;
}
